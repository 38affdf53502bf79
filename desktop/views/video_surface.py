"""Where the preview's frames are drawn: a QVideoSink feeding a plain widget.

A QVideoWidget renders through a native child window that screenshots (`grab()`) and the
offscreen platform cannot capture; painting the sink's frames ourselves works everywhere and
lets the preview count what it really showed.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPaintEvent
from PySide6.QtMultimedia import QVideoFrame, QVideoSink
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop.theme import Colors


class VideoSurface(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("VideoSurface")
        self.setMinimumSize(QSize(300, 300))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.sink = QVideoSink(self)
        self.sink.videoFrameChanged.connect(self._frame)
        self._image: QImage | None = None
        self.frames_shown = 0
        self.message = "Loading video…"

    @property
    def last_image(self) -> QImage | None:
        return self._image

    def clear(self, message: str = "Loading video…") -> None:
        self._image = None
        self.frames_shown = 0
        self.message = message
        self.update()

    def _frame(self, frame: QVideoFrame) -> None:
        if not frame.isValid():
            return
        image = frame.toImage()
        if image.isNull():
            return
        self._image = image
        self.frames_shown += 1
        self.update()

    def video_rect(self) -> QRectF:
        if self._image is None:
            return QRectF(self.rect())
        size = self._image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x = (self.width() - size.width()) / 2
        y = (self.height() - size.height()) / 2
        return QRectF(x, y, size.width(), size.height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        frame = QPainterPath()
        frame.addRoundedRect(QRectF(self.rect()), 14, 14)
        painter.fillPath(frame, QColor("#05060a"))
        painter.setClipPath(frame)
        if self._image is None:
            painter.setPen(QColor(Colors.MUTED))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message)
            painter.end()
            return
        target = self.video_rect()
        clip = QPainterPath()
        clip.addRoundedRect(target, 12, 12)
        painter.setClipPath(clip)
        painter.drawImage(target, self._image)
        painter.end()
