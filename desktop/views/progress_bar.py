"""The animated progress bar: eases to each new value, shimmers while work goes on, and slides
an indeterminate segment while the provider has not reported a percentage yet."""

from __future__ import annotations

from PySide6.QtCore import QEasingCurve, QRectF, QTimer, QVariantAnimation
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPainterPath, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop.theme import Colors

FRAME_MS = 33  # ~30 fps is smooth for a shimmer and cheap with ten bars on screen


class AnimatedBar(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedHeight(8)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._target: float | None = None
        self._shown = 0.0
        self._phase = 0.0
        self._running = True
        self._color = QColor(Colors.ACCENT)
        self._ease = QVariantAnimation(self)
        self._ease.setDuration(450)
        self._ease.setEasingCurve(QEasingCurve.Type.OutCubic)
        self._ease.valueChanged.connect(self._eased)
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._tick)

    @property
    def value(self) -> float | None:
        """The target percentage (None: indeterminate)."""
        return self._target

    def set_value(self, percent: float | None, *, running: bool = True) -> None:
        self._running = running
        if percent is not None:
            percent = max(0.0, min(100.0, percent))
        if percent != self._target:
            self._target = percent
            if percent is not None:
                self._ease.stop()
                self._ease.setStartValue(self._shown)
                self._ease.setEndValue(percent)
                self._ease.start()
        self._sync_timer()
        self.update()

    def set_color(self, color: str) -> None:
        self._color = QColor(color)
        self.update()

    def showEvent(self, event: object) -> None:
        self._sync_timer()

    def hideEvent(self, event: object) -> None:
        self._timer.stop()

    def _sync_timer(self) -> None:
        if self._running and self.isVisible():
            if not self._timer.isActive():
                self._timer.start()
        else:
            self._timer.stop()

    def _eased(self, value: float) -> None:
        self._shown = float(value)
        self.update()

    def _tick(self) -> None:
        self._phase = (self._phase + FRAME_MS / 1400) % 1.0
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect())
        radius = rect.height() / 2
        track = QPainterPath()
        track.addRoundedRect(rect, radius, radius)
        painter.fillPath(track, QColor("#242b3a"))
        painter.setClipPath(track)
        if self._target is None:
            width = rect.width() * 0.28
            x = -width + (rect.width() + width) * self._phase
            fill = QRectF(x, 0, width, rect.height())
        else:
            fill = QRectF(0, 0, rect.width() * self._shown / 100, rect.height())
        gradient = QLinearGradient(fill.topLeft(), fill.topRight())
        gradient.setColorAt(0, self._color.darker(120))
        gradient.setColorAt(1, self._color.lighter(125))
        path = QPainterPath()
        path.addRoundedRect(fill, radius, radius)
        painter.fillPath(path, gradient)
        if self._running and self._target is not None and fill.width() > 0:
            shine_w = max(40.0, fill.width() * 0.25)
            sx = -shine_w + (fill.width() + shine_w) * self._phase
            shine = QLinearGradient(sx, 0, sx + shine_w, 0)
            shine.setColorAt(0, QColor(255, 255, 255, 0))
            shine.setColorAt(0.5, QColor(255, 255, 255, 70))
            shine.setColorAt(1, QColor(255, 255, 255, 0))
            painter.setClipPath(path)
            painter.fillRect(QRectF(sx, 0, shine_w, rect.height()), shine)
        painter.end()
