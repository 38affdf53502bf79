"""A small spinning arc, and the Generate button that shows it while submitting."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import QPushButton, QWidget

from desktop.theme import set_state


def paint_arc(painter: QPainter, rect: QRectF, angle: int, color: QColor, width: float) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    track = QColor(color)
    track.setAlpha(60)
    painter.setPen(QPen(track, width))
    painter.drawArc(rect, 0, 360 * 16)
    pen = QPen(color, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    painter.drawArc(rect, -angle * 16, 100 * 16)


STEPS = 24  # frames per turn; each is stroked once and then only blitted


@cache
def spinner_frame(side: int, color: str, step: int) -> QPixmap:
    """Antialiased arcs are slow to stroke in the raster engine (~1 ms each): a spinner
    repainting at 60 fps would cost a busy UI thread real time, so frames are cached."""
    ratio = 2.0
    frame = QPixmap(round(side * ratio), round(side * ratio))
    frame.fill(Qt.GlobalColor.transparent)
    painter = QPainter(frame)
    inset = 2.2 * ratio
    rect = QRectF(inset, inset, frame.width() - 2 * inset, frame.height() - 2 * inset)
    paint_arc(painter, rect, step * 360 // STEPS, QColor(color), 2.2 * ratio)
    painter.end()
    frame.setDevicePixelRatio(ratio)
    return frame


class Spinner(QWidget):
    def __init__(self, size: int = 18, color: str = "#ffffff", parent: QWidget | None = None):
        super().__init__(parent)
        self.setFixedSize(size, size)
        self._color = color
        self._step = 0
        self._timer = QTimer(self)
        self._timer.setInterval(33)
        self._timer.timeout.connect(self._tick)

    def showEvent(self, event: object) -> None:
        self._timer.start()

    def hideEvent(self, event: object) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        self._step = (self._step + 1) % STEPS
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.drawPixmap(0, 0, spinner_frame(self.width(), self._color, self._step))
        painter.end()


class BusyButton(QPushButton):
    """A push button that draws a spinner at its left edge while busy."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._busy = False
        self._step = 0
        self._timer = QTimer(self)
        self._timer.setInterval(33)
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
        self._step = (self._step + 1) % STEPS
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._busy:
            side = 18
            text_width = self.fontMetrics().horizontalAdvance(self.text())
            x = round((self.width() - text_width) / 2 - side - 10)
            y = round((self.height() - side) / 2)
            painter = QPainter(self)
            painter.drawPixmap(x, y, spinner_frame(side, "#ffffff", self._step))
            painter.end()
