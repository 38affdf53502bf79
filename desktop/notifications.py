"""Desktop notifications for jobs that finish while the window is not focused.

A system tray message where the desktop has a tray; otherwise the window asks for attention
(taskbar flash) and the message waits as a toast for when the user comes back.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QSystemTrayIcon, QWidget

from desktop.icons import icon
from desktop.theme import Colors


class Notifier(QObject):
    notified = Signal(str, str)  # title, body: every notification actually raised

    def __init__(self, window: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._window = window
        self._tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self._tray = QSystemTrayIcon(icon("film", Colors.ACCENT, 32), self)
            self._tray.setToolTip("Reelcraft Studio")
            self._tray.messageClicked.connect(self._bring_to_front)
            self._tray.show()
        self.history: list[tuple[str, str]] = []

    @property
    def uses_tray(self) -> bool:
        return self._tray is not None

    def window_focused(self) -> bool:
        return self._window.isActiveWindow() and not self._window.isMinimized()

    def notify(self, title: str, body: str) -> bool:
        """Raise a notification unless the user is looking at the window; True if raised."""
        if self.window_focused():
            return False
        if self._tray is not None:
            self._tray.showMessage(title, body, QSystemTrayIcon.MessageIcon.Information, 8000)
        QApplication.alert(self._window)
        self.history.append((title, body))
        self.notified.emit(title, body)
        return True

    def _bring_to_front(self) -> None:
        self._window.showNormal()
        self._window.raise_()
        self._window.activateWindow()
