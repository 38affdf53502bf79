"""Settings: provider keys go to the keychain and are only shown masked; without a keychain
the page says so and stores nothing unless the user opts in to the plaintext file."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from desktop.keychain import KEYRING_SERVICE, KeyStore
from desktop.settings_store import SettingsStore
from desktop.views.settings_view import SettingsView

SECRET = "fal-key-0123456789abcdef-7f3e"


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def visible_texts(view: SettingsView) -> str:
    texts = [w.text() for w in view.findChildren(QLabel)]
    texts += [w.text() for w in view.findChildren(QLineEdit)]
    return "\n".join(texts)


def make_view(qtbot: QtBot, tmp_path: Path) -> SettingsView:
    store = SettingsStore(tmp_path / "config")
    view = SettingsView(KeyStore(tmp_path / "data", allow_plaintext=False), store)
    qtbot.addWidget(view)
    view.resize(1000, 900)
    view.show()
    return view


def test_a_key_goes_to_the_keychain_and_is_never_shown_in_full(
    qtbot: QtBot, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    view = make_view(qtbot, tmp_path)
    assert not view.keychain_warning.isVisible()
    changed: list[bool] = []
    view.keys_changed.connect(lambda: changed.append(True))
    row = view.rows["fal"]
    assert row.mask.text() == "Not set"
    qtbot.mouseClick(row.set_button, Qt.MouseButton.LeftButton)
    assert row.edit.isVisible() and row.edit.echoMode() == QLineEdit.EchoMode.Password
    qtbot.keyClicks(row.edit, SECRET)
    qtbot.keyClick(row.edit, Qt.Key.Key_Return)
    assert memory_keyring.entries[(KEYRING_SERVICE, "fal")] == SECRET
    assert row.mask.text() == "••••7f3e"
    assert SECRET not in visible_texts(view)
    assert row.edit.text() == ""  # the key does not linger in the editor
    assert changed == [True]
    assert not (tmp_path / "data" / "secrets.json").exists()
    qtbot.mouseClick(row.remove_button, Qt.MouseButton.LeftButton)
    assert (KEYRING_SERVICE, "fal") not in memory_keyring.entries
    assert row.mask.text() == "Not set"


def test_without_a_keychain_it_says_so_and_only_stores_after_opt_in(
    qtbot: QtBot, tmp_path: Path, no_keyring: None
) -> None:
    view = make_view(qtbot, tmp_path)
    assert view.keychain_warning.isVisible()
    assert "No system keychain" in view.keychain_warning.text()
    assert not view.rows["kie"].set_button.isEnabled()
    qtbot.mouseClick(view.plaintext, Qt.MouseButton.LeftButton)
    assert view.plaintext.isChecked()
    row = view.rows["kie"]
    assert row.set_button.isEnabled()
    qtbot.mouseClick(row.set_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(row.edit, SECRET)
    qtbot.keyClick(row.edit, Qt.Key.Key_Return)
    secrets = tmp_path / "data" / "secrets.json"
    assert json.loads(secrets.read_text()) == {"kie": SECRET}  # where the service reads it
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert SECRET not in visible_texts(view)
    reopened = SettingsStore(tmp_path / "config").load()
    assert reopened.allow_plaintext_keys


def test_service_cache_and_data_folder_are_saved(
    qtbot: QtBot, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    view = make_view(qtbot, tmp_path)
    errors: list[str] = []
    view.error.connect(errors.append)
    changed: list[object] = []
    view.service_changed.connect(changed.append)
    view.team_radio.click()
    view.team_url.setText("reelcraft.example.com")
    view.apply_service()
    assert errors and "https://" in errors[0] and changed == []
    view.team_url.setText("https://reelcraft.example.com/")
    qtbot.keyClicks(view.team_token, "team-token-abcdef123456")
    view.apply_service()
    assert memory_keyring.entries[(KEYRING_SERVICE, "team-server-token")].startswith("team-")
    assert view.team_token.text() == ""
    view.cache_budget.setValue(2048)
    view.data_dir.setText(str(tmp_path / "elsewhere"))
    view.save_storage()
    saved = SettingsStore(tmp_path / "config").load()
    assert (saved.service, saved.team_url) == ("team", "https://reelcraft.example.com")
    assert saved.cache_budget_mb == 2048
    assert saved.data_dir == str(tmp_path / "elsewhere")


def test_a_damaged_settings_file_keeps_what_is_valid(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "config")
    store.path.parent.mkdir(parents=True)
    store.path.write_text(
        '{"service": "team", "team_url": "https://studio.example", "cache_budget_mb": 12,'
        ' "data_dir": 7, "allow_plaintext_keys": "yes"}'
    )
    settings = store.load()
    assert (settings.service, settings.team_url) == ("team", "https://studio.example")
    assert settings.cache_budget_mb == 4096  # 12 MB is below what the service accepts
    assert settings.data_dir is None and settings.allow_plaintext_keys is False
    store.path.write_text("{not json")
    assert store.load() == store.load().__class__()
