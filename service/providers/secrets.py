"""Provider keys: the OS keychain through `keyring`, or a visible fallback file.

Where no keychain exists (a headless Linux box: keyring's `fail` backend), keys go to
`<data dir>/secrets.json`, created with mode 0600 in a 0700 directory. That file is plain
JSON, protected only by file permissions, and the store says so: `is_fallback` is True and
`describe()` gives the sentence the Settings screen shows. `keyrings.alt` is deliberately not
used (STACK.md): it would make a plaintext file the silent default. A `keyrings.alt`
backend that is installed anyway counts as "no keychain", so the fallback stays visible.

Every value read or written is registered with `shared.logging.register_secret`, so it is
masked in every log line from then on.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import fail

from shared.logging import register_secret

SERVICE_NAME = "reelcraft"
FALLBACK_FILE = "secrets.json"
log = logging.getLogger(__name__)


def _is_real_keychain(backend: keyring.backend.KeyringBackend) -> bool:
    if isinstance(backend, fail.Keyring):
        return False
    return not type(backend).__module__.startswith("keyrings.alt")


class SecretStore:
    def __init__(
        self, data_dir: Path, backend: keyring.backend.KeyringBackend | None = None
    ) -> None:
        self._backend = backend if backend is not None else keyring.get_keyring()
        self.fallback_path = data_dir / FALLBACK_FILE
        self.is_fallback = not _is_real_keychain(self._backend)
        self._lock = threading.Lock()
        if self.is_fallback:
            log.warning(
                "no OS keychain available; provider keys are kept in %s (mode 0600)",
                self.fallback_path,
            )

    @property
    def backend_name(self) -> str:
        if self.is_fallback:
            return "file"
        return getattr(self._backend, "name", type(self._backend).__name__)

    def describe(self) -> str:
        if self.is_fallback:
            return (
                f"No system keychain was found, so provider keys are saved in "
                f"{self.fallback_path}, readable only by your user account."
            )
        return f"Provider keys are saved in the system keychain ({self.backend_name})."

    def get(self, name: str) -> str | None:
        if self.is_fallback:
            value = self._read_file().get(name)
        else:
            value = self._backend.get_password(SERVICE_NAME, name)
        register_secret(value)
        return value

    def set(self, name: str, value: str) -> None:
        if not value:
            raise ValueError("an empty key cannot be stored; use delete()")
        register_secret(value)
        if not self.is_fallback:
            self._backend.set_password(SERVICE_NAME, name, value)
            return
        with self._lock:
            data = self._read_file()
            data[name] = value
            self._write_file(data)

    def delete(self, name: str) -> None:
        if not self.is_fallback:
            with contextlib.suppress(keyring.errors.PasswordDeleteError):
                self._backend.delete_password(SERVICE_NAME, name)
            return
        with self._lock:
            data = self._read_file()
            if data.pop(name, None) is not None:
                self._write_file(data)

    def _read_file(self) -> dict[str, str]:
        try:
            raw = json.loads(self.fallback_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            log.error("the key file %s is unreadable; ignoring it", self.fallback_path)
            return {}
        return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}

    def _write_file(self, data: dict[str, str]) -> None:
        directory = self.fallback_path.parent
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = directory / f".{FALLBACK_FILE}.{os.getpid()}.tmp"
        # Created 0600 from the first byte: the keys are never world-readable, not even briefly.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
        os.replace(tmp, self.fallback_path)
