"""The studio's own settings (which service, cache budget, data folder), as a small JSON file
in the per-user config folder. Secrets are not here: they live in the keychain (keychain.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.paths import APP_NAME

SETTINGS_FILE = "desktop.json"


def default_config_dir() -> Path:
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False)


class DesktopSettings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    service: Literal["local", "team"] = "local"
    team_url: str = ""
    cache_budget_mb: int = Field(default=4096, ge=256, le=1_000_000)
    data_dir: str | None = Field(default=None, description="None: the per-user default")
    allow_plaintext_keys: bool = False


class SettingsStore:
    def __init__(self, config_dir: Path) -> None:
        self.path = config_dir / SETTINGS_FILE

    def load(self) -> DesktopSettings:
        try:
            return DesktopSettings.model_validate(json.loads(self.path.read_text("utf-8")))
        except (OSError, ValueError, ValidationError):
            return DesktopSettings()

    def save(self, settings: DesktopSettings) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(settings.model_dump_json(indent=2), "utf-8")
        os.replace(tmp, self.path)
