"""A segmented control (the duration toggle, Sora's resolution toggle): exclusive buttons."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QFrame, QHBoxLayout, QPushButton, QWidget

from desktop.theme import set_state


class SegmentedControl(QFrame):
    changed = Signal(str)  # the chosen option's key, only when the user picks a new one

    def __init__(
        self,
        options: Sequence[tuple[str, str]],
        *,
        compact: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("Segmented")
        set_state(self, "compact", compact)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(3, 3, 3, 3)
        self._layout.setSpacing(2)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self._buttons: dict[str, QPushButton] = {}
        self._group.buttonClicked.connect(self._clicked)
        self.set_options(options)

    def set_options(self, options: Sequence[tuple[str, str]]) -> None:
        current = self.value()
        for button in self._buttons.values():
            self._group.removeButton(button)
            button.deleteLater()
        self._buttons = {}
        for key, label in options:
            button = QPushButton(label, self)
            button.setObjectName("Segment")
            button.setCheckable(True)
            button.setProperty("key", key)
            self._group.addButton(button)
            self._layout.addWidget(button)
            self._buttons[key] = button
        if current in self._buttons:
            self._buttons[current].setChecked(True)

    def button(self, key: str) -> QPushButton:
        return self._buttons[key]

    def keys(self) -> list[str]:
        return list(self._buttons)

    def value(self) -> str | None:
        checked = self._group.checkedButton()
        return str(checked.property("key")) if checked is not None else None

    def set_value(self, key: str) -> None:
        """Reflect the model; emits nothing (only user clicks do)."""
        button = self._buttons.get(key)
        if button is not None and not button.isChecked():
            button.setChecked(True)

    def _clicked(self, button: QPushButton) -> None:
        self.changed.emit(str(button.property("key")))
