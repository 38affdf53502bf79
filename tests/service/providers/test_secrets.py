"""Provider keys: the OS keychain when there is one, a visible 0600 file when there is not,
and never a key in a log line."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import keyring.backend
import pytest
from keyring.backends import fail

from service.providers.registry import AdapterRegistry
from service.providers.secrets import SecretStore
from shared.logging import redact


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.items:
            raise keyring.errors.PasswordDeleteError(username)
        del self.items[(service, username)]


def test_keys_go_to_the_os_keychain(tmp_path: Path) -> None:
    backend = MemoryKeyring()
    store = SecretStore(tmp_path, backend=backend)
    assert not store.is_fallback
    store.set("fal", "fal-key-123456")
    assert backend.items[("reelcraft", "fal")] == "fal-key-123456"
    assert store.get("fal") == "fal-key-123456"
    assert not (tmp_path / "secrets.json").exists()  # nothing on disk
    store.delete("fal")
    store.delete("fal")  # deleting twice is not an error
    assert store.get("fal") is None
    assert "system keychain" in store.describe()


def test_without_a_keychain_the_fallback_is_visible_and_private(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        store = SecretStore(tmp_path / "data", backend=fail.Keyring())
    assert store.is_fallback and store.backend_name == "file"
    assert "no OS keychain" in caplog.text
    assert str(store.fallback_path) in store.describe()
    store.set("runway", "runway-key-abcdef")
    store.set("kling", "kling-access-123456")
    mode = stat.S_IMODE(store.fallback_path.stat().st_mode)
    assert mode == 0o600
    # A new process (a new store) reads the same keys back.
    again = SecretStore(tmp_path / "data", backend=fail.Keyring())
    assert again.get("runway") == "runway-key-abcdef"
    again.delete("runway")
    assert SecretStore(tmp_path / "data", backend=fail.Keyring()).get("runway") is None


def test_stored_keys_are_masked_in_logs(tmp_path: Path) -> None:
    store = SecretStore(tmp_path, backend=MemoryKeyring())
    store.set("pollo", "pollo-secret-value-99")
    assert "pollo-secret-value-99" not in redact("sending with pollo-secret-value-99 now")


async def test_registry_uses_only_providers_with_keys(tmp_path: Path) -> None:
    from service.providers.base import ProviderError
    from service.providers.http import create_http_client
    from shared.errors import ErrorCode

    store = SecretStore(tmp_path, backend=MemoryKeyring())
    store.set("runway", "runway-key-abcdef")
    store.set("kling", "kling-access-123456")  # no secret half: Kling cannot sign
    async with create_http_client() as client:
        registry = AdapterRegistry.from_secrets(client, store)
        assert registry.configured() == {"runway"}
        assert registry.adapter("runway").endpoint.root == "https://api.dev.runwayml.com"
        with pytest.raises(ProviderError) as info:
            registry.adapter("fal")
        assert info.value.code is ErrorCode.MODEL_UNAVAILABLE
        store.set("kling_secret", "kling-secret-654321")
        assert "kling" in AdapterRegistry.from_secrets(client, store).configured()
