"""A small spinning arc, and the Generate button that shows it while submitting."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QPushButton, QWidget

from desktop.theme import set_state


def paint_arc(painter: QPainter, rect: QRectF, angle: int, color: QColor, width: float) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    track = QColor(color)
    track.setAlpha(60)
    painter.setPen(QPen(track, width))
    painter.drawEllipse(rect)
    pen = QPen(color, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    painter.drawArc(rect, -angle * 16, 100 * 16)


class Spinner(QWidget):
    def __init__(self, size: int = 18, color: str = "#ffffff", parent: QWidget | None = None):
        super().__init__(parent)
        self.setFixedSize(size, size)
        self._color = QColor(color)
        self._angle = 0
        self._timer = QTimer(self)
        self._timer.setInterval(16)
        self._timer.timeout.connect(self._tick)

    def showEvent(self, event: object) -> None:
        self._timer.start()

    def hideEvent(self, event: object) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        self._angle = (self._angle + 8) % 360
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        paint_arc(
            painter,
            QRectF(2, 2, self.width() - 4, self.height() - 4),
            self._angle,
            self._color,
            2.2,
        )


class BusyButton(QPushButton):
    """A push button that draws a spinner at its left edge while busy."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._busy = False
        self._angle = 0
        self._timer = QTimer(self)
        self._timer.setInterval(16)
        self._timer.timeout.connect(self._tick)

    @property
    def busy(self) -> bool:
        return self._busy

    def set_busy(self, busy: bool) -> None:
        if busy == self._busy:
            return
        self._busy = busy
        set_state(self, "busy", busy)
        if busy:
            self._timer.start()
        else:
            self._timer.stop()
        self.update()

    def _tick(self) -> None:
        self._angle = (self._angle + 8) % 360
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._busy:
            painter = QPainter(self)
            side = 18
            text_width = self.fontMetrics().horizontalAdvance(self.text())
            x = (self.width() - text_width) / 2 - side - 10
            y = (self.height() - side) / 2
            paint_arc(painter, QRectF(x, y, side, side), self._angle, QColor("#ffffff"), 2.2)
