"""Line icons (resources/icons/*.svg, drawn with `currentColor`) rendered in any colour.

Rendered through Qt's SVG image plugin (QImageReader) rather than the QtSvg Python module,
whose import alone costs ~4 ms of start-up.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
from PySide6.QtGui import QIcon, QImageReader, QPixmap

from desktop.theme import RESOURCE_DIR, Colors

ICON_DIR = RESOURCE_DIR / "icons"


@cache
def _svg(name: str) -> str:
    return (ICON_DIR / f"{name}.svg").read_text(encoding="utf-8")


@cache
def pixmap(name: str, color: str = Colors.TEXT, size: int = 18, ratio: float = 2.0) -> QPixmap:
    side = round(size * ratio)
    buffer = QBuffer()
    buffer.setData(QByteArray(_svg(name).replace("currentColor", color).encode()))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer, QByteArray(b"svg"))
    reader.setScaledSize(QSize(side, side))
    image = QPixmap.fromImage(reader.read())
    if image.isNull():
        raise ValueError(f"icon {name!r} did not render: {reader.errorString()}")
    image.setDevicePixelRatio(ratio)
    return image


@cache
def icon(name: str, color: str = Colors.TEXT, size: int = 18) -> QIcon:
    return QIcon(pixmap(name, color, size))
