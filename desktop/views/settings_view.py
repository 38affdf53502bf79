"""Settings: provider keys (to the keychain, shown back masked), which service to use (the
local one or a team server), the media cache budget and the data folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.formatting import mask_secret
from desktop.keychain import PROVIDERS, TEAM_TOKEN, KeyStore
from desktop.settings_store import CACHE_BUDGET_MB, SettingsStore


def _card(parent: QWidget, title: str, subtitle: str) -> tuple[QFrame, QVBoxLayout]:
    card = QFrame(parent)
    card.setObjectName("SettingsCard")
    col = QVBoxLayout(card)
    col.setContentsMargins(20, 16, 20, 18)
    col.setSpacing(10)
    heading = QLabel(title, card)
    heading.setObjectName("SettingsTitle")
    col.addWidget(heading)
    text = QLabel(subtitle, card)
    text.setObjectName("Muted")
    text.setWordWrap(True)
    col.addWidget(text)
    return card, col


class KeyRow:
    """One provider: masked value, an inline editor, remove."""

    def __init__(self, grid: QGridLayout, row: int, name: str, label: str, view: SettingsView):
        self.name = name
        self._view = view
        parent = grid.parentWidget()
        grid.addWidget(QLabel(label, parent), row, 0)
        self.mask = QLabel(parent)
        self.mask.setObjectName("KeyMask")
        grid.addWidget(self.mask, row, 1)
        self.edit = QLineEdit(parent)
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setPlaceholderText(f"Paste your {label} key")
        self.edit.returnPressed.connect(self.save)
        self.edit.hide()
        grid.addWidget(self.edit, row, 1)
        self.set_button = QPushButton("Set key…", parent)
        self.set_button.clicked.connect(self.start_edit)
        grid.addWidget(self.set_button, row, 2)
        self.remove_button = QPushButton("Remove", parent)
        self.remove_button.setObjectName("TextButton")
        self.remove_button.clicked.connect(self.remove)
        grid.addWidget(self.remove_button, row, 3)
        self.refresh()

    def refresh(self) -> None:
        value = self._view.keys.get(self.name)
        self.mask.setText(mask_secret(value) if value else "Not set")
        self.remove_button.setVisible(bool(value))
        self.set_button.setEnabled(self._view.keys.writable)
        self.set_button.setText("Replace…" if value else "Set key…")

    def start_edit(self) -> None:
        if self.edit.isVisible():
            self.save()
            return
        self.mask.hide()
        self.edit.clear()
        self.edit.show()
        self.edit.setFocus()
        self.set_button.setText("Save")

    def save(self) -> None:
        value = self.edit.text().strip()
        self.edit.clear()  # the key does not linger in the widget
        self.edit.hide()
        self.mask.show()
        if value:
            try:
                self._view.keys.set(self.name, value)
            except Exception as exc:  # keyring backends raise their own types
                self._view.error.emit(f"Couldn't store the key: {type(exc).__name__}")
            self._view.keys_changed.emit()
        self.refresh()

    def remove(self) -> None:
        self._view.keys.delete(self.name)
        self._view.keys_changed.emit()
        self.refresh()


class SettingsView(QWidget):
    keys_changed = Signal()
    service_changed = Signal(object)  # DesktopSettings
    saved = Signal(object)  # DesktopSettings
    error = Signal(str)

    def __init__(self, keys: KeyStore, store: SettingsStore, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("Page")
        self.keys = keys
        self.store = store
        self.settings = store.load()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget(scroll)
        body.setObjectName("ScrollBody")
        scroll.setWidget(body)
        outer.addWidget(scroll)
        page = QVBoxLayout(body)
        page.setContentsMargins(32, 26, 32, 24)
        page.setSpacing(16)
        title = QLabel("Settings", body)
        title.setObjectName("PageTitle")
        page.addWidget(title)
        page.addWidget(self._keys_card(body))
        page.addWidget(self._service_card(body))
        page.addWidget(self._storage_card(body))
        page.addStretch(1)

    # -- provider keys ----------------------------------------------------------------------

    def _keys_card(self, parent: QWidget) -> QFrame:
        card, col = _card(
            parent,
            "Provider keys",
            "Keys go to your system keychain and are only ever shown masked. Without keys, "
            "Reelcraft runs in demo mode against its built-in provider emulator.",
        )
        self.keychain_warning = QLabel(card)
        self.keychain_warning.setObjectName("Warning")
        self.keychain_warning.setWordWrap(True)
        col.addWidget(self.keychain_warning)
        self.plaintext = QCheckBox(
            "Store keys in a plaintext file in the data folder instead (not recommended)", card
        )
        self.plaintext.setChecked(self.settings.allow_plaintext_keys)
        self.plaintext.toggled.connect(self._plaintext_toggled)
        col.addWidget(self.plaintext)
        grid_host = QWidget(card)
        grid = QGridLayout(grid_host)
        grid.setContentsMargins(0, 4, 0, 0)
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(8)
        grid.setColumnStretch(1, 1)
        self.rows = {
            name: KeyRow(grid, i, name, label, self)
            for i, (name, label) in enumerate(PROVIDERS.items())
        }
        col.addWidget(grid_host)
        self._sync_keychain()
        return card

    def _sync_keychain(self) -> None:
        available = self.keys.keychain_available
        self.keychain_warning.setVisible(not available)
        self.plaintext.setVisible(not available)
        self.keychain_warning.setText(
            "No system keychain was found on this machine, so keys can't be stored securely. "
            "Install and unlock a keychain (GNOME Keyring, KWallet, macOS Keychain, Windows "
            "Credential Manager), or opt in to the plaintext file below."
        )
        for row in getattr(self, "rows", {}).values():
            row.refresh()

    def _plaintext_toggled(self, on: bool) -> None:
        self.keys.allow_plaintext = on
        self.settings = self.settings.replace(allow_plaintext_keys=on)
        self.store.save(self.settings)
        self._sync_keychain()
        self.keys_changed.emit()

    # -- service ----------------------------------------------------------------------------

    def _service_card(self, parent: QWidget) -> QFrame:
        card, col = _card(
            parent,
            "Service",
            "The local service runs on this computer and starts with the studio. A team "
            "server shares history, moderation and support across machines.",
        )
        self.local_radio = QRadioButton("Local service on this computer", card)
        self.team_radio = QRadioButton("Team server", card)
        group = QButtonGroup(card)
        group.addButton(self.local_radio)
        group.addButton(self.team_radio)
        col.addWidget(self.local_radio)
        col.addWidget(self.team_radio)
        team = QGridLayout()
        team.setContentsMargins(26, 0, 0, 0)
        self.team_url = QLineEdit(self.settings.team_url, card)
        self.team_url.setPlaceholderText("https://reelcraft.example.com")
        team.addWidget(QLabel("URL", card), 0, 0)
        team.addWidget(self.team_url, 0, 1)
        self.team_token = QLineEdit(card)
        self.team_token.setEchoMode(QLineEdit.EchoMode.Password)
        token = self.keys.get(TEAM_TOKEN)
        self.team_token.setPlaceholderText(
            f"Access token (saved: {mask_secret(token)})" if token else "Access token"
        )
        team.addWidget(QLabel("Token", card), 1, 0)
        team.addWidget(self.team_token, 1, 1)
        col.addLayout(team)
        (self.team_radio if self.settings.service == "team" else self.local_radio).setChecked(True)
        apply = QPushButton("Apply", card)
        apply.setObjectName("PrimaryButton")
        apply.clicked.connect(self.apply_service)
        col.addWidget(apply, 0, Qt.AlignmentFlag.AlignLeft)
        return card

    def apply_service(self) -> None:
        team = self.team_radio.isChecked()
        url = self.team_url.text().strip().rstrip("/")
        if team and not url.startswith(("http://", "https://")):
            self.error.emit("Enter the team server's address, starting with https://")
            return
        token = self.team_token.text().strip()
        self.team_token.clear()
        if token:
            try:
                self.keys.set(TEAM_TOKEN, token)
            except Exception as exc:  # keyring backends raise their own types
                self.error.emit(f"Couldn't store the token: {type(exc).__name__}")
                return
        self.settings = self.settings.replace(service="team" if team else "local", team_url=url)
        self.store.save(self.settings)
        self.service_changed.emit(self.settings)

    # -- storage ----------------------------------------------------------------------------

    def _storage_card(self, parent: QWidget) -> QFrame:
        card, col = _card(
            parent,
            "Storage",
            "Finished videos are kept in a local cache. Unpublished work you have not "
            "discarded is never evicted.",
        )
        grid = QGridLayout()
        self.cache_budget = QSpinBox(card)
        self.cache_budget.setRange(*CACHE_BUDGET_MB)
        self.cache_budget.setSingleStep(256)
        self.cache_budget.setSuffix(" MB")
        self.cache_budget.setValue(self.settings.cache_budget_mb)
        grid.addWidget(QLabel("Cache budget", card), 0, 0)
        grid.addWidget(self.cache_budget, 0, 1)
        self.data_dir = QLineEdit(self.settings.data_dir or "", card)
        self.data_dir.setPlaceholderText("Default folder for this user")
        choose = QPushButton("Choose…", card)
        choose.clicked.connect(self._choose_dir)
        grid.addWidget(QLabel("Data folder", card), 1, 0)
        grid.addWidget(self.data_dir, 1, 1)
        grid.addWidget(choose, 1, 2)
        grid.setColumnStretch(1, 1)
        col.addLayout(grid)
        note = QLabel("A new data folder takes effect the next time the studio starts.", card)
        note.setObjectName("Muted")
        col.addWidget(note)
        save = QPushButton("Save", card)
        save.setObjectName("PrimaryButton")
        save.clicked.connect(self.save_storage)
        col.addWidget(save, 0, Qt.AlignmentFlag.AlignLeft)
        return card

    def _choose_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose the data folder")
        if folder:
            self.data_dir.setText(folder)

    def save_storage(self) -> None:
        folder = self.data_dir.text().strip()
        self.settings = self.settings.replace(
            cache_budget_mb=self.cache_budget.value(),
            data_dir=str(Path(folder).expanduser()) if folder else None,
        )
        self.store.save(self.settings)
        self.saved.emit(self.settings)
