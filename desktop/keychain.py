"""Provider keys in the OS keychain (SPEC 4). Never displayed back in full (see
`formatting.mask_secret`), never logged, never written in plaintext unless the user opts in
when the machine has no keychain (a headless Linux box, for instance).

The service reads the same entries (service/providers/secrets.py): keyring service
"reelcraft", one entry per adapter name plus `kling_secret`, and, where no keychain exists,
`<data dir>/secrets.json` (mode 0600). A `keyrings.alt` backend is a plaintext file too, so it
counts as "no keychain" here as well."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from shared.logging import register_secret

if TYPE_CHECKING:
    from types import ModuleType

log = logging.getLogger(__name__)

KEYRING_SERVICE = "reelcraft"
TEAM_TOKEN = "team-server-token"
# Adapter name -> what the user knows it as (the adapters of resources/catalogue/models.yaml).
PROVIDERS: dict[str, str] = {
    "fal": "fal.ai",
    "kie": "Kie AI",
    "gemini": "Google Gemini (Veo)",
    "kling": "Kling AI access key",
    "kling_secret": "Kling AI secret key",
    "pollo": "Pollo AI",
    "runway": "Runway",
}
FALLBACK_FILE = "secrets.json"


def _keyring() -> ModuleType:
    """`keyring` on first use: importing it and finding the backend (D-Bus on Linux) costs
    ~200 ms, which start-up does not pay; the studio checks keys off the UI thread."""
    import keyring
    import keyring.errors

    return keyring


class KeyStore:
    def __init__(self, data_dir: Path, *, allow_plaintext: bool = False) -> None:
        self.fallback_path = data_dir / FALLBACK_FILE
        self.allow_plaintext = allow_plaintext

    @property
    def keychain_available(self) -> bool:
        from keyring.backends import fail

        backend = _keyring().get_keyring()
        if isinstance(backend, fail.Keyring):
            return False
        return not type(backend).__module__.startswith("keyrings.alt")

    @property
    def backend_name(self) -> str:
        backend = _keyring().get_keyring()
        return str(getattr(backend, "name", type(backend).__name__))

    @property
    def writable(self) -> bool:
        return self.keychain_available or self.allow_plaintext

    def get(self, name: str) -> str | None:
        value: str | None = None
        if self.keychain_available:
            keyring = _keyring()
            try:
                value = keyring.get_password(KEYRING_SERVICE, name)
            except keyring.errors.KeyringError as exc:
                log.warning("keychain read failed: %s", type(exc).__name__)
        if value is None and self.allow_plaintext:
            value = self._fallback().get(name)
        if value:
            register_secret(value)
        return value

    def set(self, name: str, value: str) -> None:
        value = value.strip()
        if not value:
            raise ValueError("empty key")
        register_secret(value)
        keyring = _keyring()
        if self.keychain_available:
            keyring.set_password(KEYRING_SERVICE, name, value)
        elif self.allow_plaintext:
            data = self._fallback()
            data[name] = value
            self._write_fallback(data)
        else:
            raise keyring.errors.NoKeyringError("no keychain available on this machine")

    def delete(self, name: str) -> None:
        keyring = _keyring()
        if self.keychain_available:
            with contextlib.suppress(keyring.errors.PasswordDeleteError):
                keyring.delete_password(KEYRING_SERVICE, name)
        data = self._fallback()
        if name in data:
            del data[name]
            self._write_fallback(data)

    def configured(self) -> list[str]:
        return [p for p in PROVIDERS if self.get(p)]

    def _fallback(self) -> dict[str, str]:
        try:
            data = json.loads(self.fallback_path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _write_fallback(self, data: dict[str, str]) -> None:
        directory = self.fallback_path.parent
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = directory / f".{FALLBACK_FILE}.{os.getpid()}.tmp"
        # 0600 from the first byte: the keys are never readable by others, not even briefly.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2, sort_keys=True)
        os.replace(tmp, self.fallback_path)
