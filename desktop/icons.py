"""Line icons (resources/icons/*.svg, drawn with `currentColor`) rendered in any colour."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from desktop.theme import RESOURCE_DIR, Colors

ICON_DIR = RESOURCE_DIR / "icons"


@cache
def _svg(name: str) -> str:
    return (ICON_DIR / f"{name}.svg").read_text(encoding="utf-8")


@cache
def pixmap(name: str, color: str = Colors.TEXT, size: int = 18, ratio: float = 2.0) -> QPixmap:
    renderer = QSvgRenderer(QByteArray(_svg(name).replace("currentColor", color).encode()))
    side = round(size * ratio)
    image = QPixmap(QSize(side, side))
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter, QRectF(0, 0, side, side))
    painter.end()
    image.setDevicePixelRatio(ratio)
    return image


@cache
def icon(name: str, color: str = Colors.TEXT, size: int = 18) -> QIcon:
    return QIcon(pixmap(name, color, size))
