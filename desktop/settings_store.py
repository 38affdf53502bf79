"""The studio's own settings (which service, cache budget, data folder), as a small JSON file
in the per-user config folder. Secrets are not here: they live in the keychain (keychain.py).

Read at start-up before the window shows, so it is plain data (no pydantic): a field that is
missing or invalid in the file falls back to its default instead of losing the others.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, NamedTuple

from shared.paths import APP_NAME

SETTINGS_FILE = "desktop.json"
CACHE_BUDGET_MB = (256, 1_000_000)  # the range the service accepts

ServiceKind = Literal["local", "team"]


def default_config_dir() -> Path:
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False)


class DesktopSettings(NamedTuple):
    service: ServiceKind = "local"
    team_url: str = ""
    cache_budget_mb: int = 4096
    data_dir: str | None = None  # None: the per-user default
    allow_plaintext_keys: bool = False

    @classmethod
    def from_json(cls, data: Any) -> DesktopSettings:
        if not isinstance(data, dict):
            return cls()
        default = cls()
        low, high = CACHE_BUDGET_MB
        budget = data.get("cache_budget_mb")
        service = data.get("service")
        team_url, data_dir = data.get("team_url"), data.get("data_dir")
        plaintext = data.get("allow_plaintext_keys")
        return cls(
            service="team" if service == "team" else "local",
            team_url=team_url if isinstance(team_url, str) else default.team_url,
            cache_budget_mb=budget
            if isinstance(budget, int) and not isinstance(budget, bool) and low <= budget <= high
            else default.cache_budget_mb,
            data_dir=data_dir if isinstance(data_dir, str) and data_dir else None,
            allow_plaintext_keys=plaintext if isinstance(plaintext, bool) else False,
        )

    def to_json(self) -> dict[str, Any]:
        return self._asdict()

    def replace(self, **changes: Any) -> DesktopSettings:
        return self._replace(**changes)


class SettingsStore:
    def __init__(self, config_dir: Path) -> None:
        self.path = config_dir / SETTINGS_FILE

    def load(self) -> DesktopSettings:
        try:
            text = self.path.read_text("utf-8")
        except OSError:
            return DesktopSettings()
        import json  # ~4 ms: paid only when there is a file to read

        try:
            return DesktopSettings.from_json(json.loads(text))
        except ValueError:
            return DesktopSettings()

    def save(self, settings: DesktopSettings) -> None:
        import json

        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(settings.to_json(), indent=2), "utf-8")
        os.replace(tmp, self.path)
