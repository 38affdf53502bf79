"""Toasts: short messages stacked at the bottom right of the window, with an optional action
(Retry). Errors stay longer than confirmations; the user can always close one."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.icons import pixmap
from desktop.theme import Colors, set_state

MARGIN = 20
WIDTH = 380


class ToastKind(StrEnum):
    INFO = "info"
    SUCCESS = "success"
    ERROR = "error"


_ICONS = {
    ToastKind.INFO: ("info", Colors.ACCENT_2),
    ToastKind.SUCCESS: ("circle-check", Colors.SUCCESS),
    ToastKind.ERROR: ("alert", Colors.DANGER),
}
_LIFETIME_MS = {ToastKind.INFO: 5000, ToastKind.SUCCESS: 5000, ToastKind.ERROR: 12000}


class Toast(QFrame):
    closed = Signal(object)  # the toast

    def __init__(
        self,
        kind: ToastKind,
        title: str,
        body: str = "",
        *,
        action: str | None = None,
        on_action: Callable[[], object] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("Toast")
        self.kind = kind
        set_state(self, "kind", kind.value)
        self.setFixedWidth(WIDTH)
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 12, 10, 12)
        row.setSpacing(12)
        glyph = QLabel(self)
        name, color = _ICONS[kind]
        glyph.setPixmap(pixmap(name, color, 20))
        row.addWidget(glyph, 0, Qt.AlignmentFlag.AlignTop)
        text = QVBoxLayout()
        text.setSpacing(2)
        self.title = QLabel(title, self)
        self.title.setObjectName("ToastTitle")
        self.title.setWordWrap(True)
        text.addWidget(self.title)
        self.body = QLabel(body, self)
        self.body.setObjectName("ToastBody")
        self.body.setWordWrap(True)
        self.body.setVisible(bool(body))
        text.addWidget(self.body)
        row.addLayout(text, 1)
        self.action: QPushButton | None = None
        if action:
            self.action = QPushButton(action, self)
            self.action.setObjectName("ToastAction")
            self.action.setCursor(Qt.CursorShape.PointingHandCursor)
            self.action.clicked.connect(self._act)
            row.addWidget(self.action, 0, Qt.AlignmentFlag.AlignVCenter)
        self._on_action = on_action
        close = QPushButton("✕", self)
        close.setObjectName("ToastClose")
        close.setToolTip("Close")
        close.clicked.connect(self.close_toast)
        row.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.close_toast)
        self._timer.start(_LIFETIME_MS[kind] + (6000 if action else 0))

    def _act(self) -> None:
        if self._on_action is not None:
            self._on_action()
        self.close_toast()

    def close_toast(self) -> None:
        self._timer.stop()
        self.hide()
        self.closed.emit(self)
        self.deleteLater()


class ToastHost(QObject):
    """Lays toasts out over `window`'s bottom-right corner and follows its resizes."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self.toasts: list[Toast] = []
        window.installEventFilter(self)

    def show(
        self,
        kind: ToastKind,
        title: str,
        body: str = "",
        *,
        action: str | None = None,
        on_action: Callable[[], object] | None = None,
    ) -> Toast:
        toast = Toast(kind, title, body, action=action, on_action=on_action, parent=self._window)
        toast.closed.connect(self._closed)
        self.toasts.append(toast)
        while len(self.toasts) > 4:  # never a wall of toasts: the oldest gives way
            self.toasts[0].close_toast()
        toast.show()
        toast.raise_()
        self._layout()
        return toast

    def _closed(self, toast: Toast) -> None:
        if toast in self.toasts:
            self.toasts.remove(toast)
        self._layout()

    def _layout(self) -> None:
        y = self._window.height() - MARGIN
        for toast in reversed(self.toasts):
            if not toast.isVisible():
                continue
            toast.adjustSize()
            y -= toast.height()
            toast.move(QPoint(self._window.width() - WIDTH - MARGIN, y))
            toast.raise_()
            y -= 10

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.Resize:
            self._layout()
        return False
