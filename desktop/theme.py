"""The studio's look: one QSS file (resources/styles/studio.qss) plus the colours that painted
widgets (progress bars, overlays, spinners) need in code."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QWidget

import resources

RESOURCE_DIR = Path(resources.__file__).parent
STYLE_FILE = RESOURCE_DIR / "styles" / "studio.qss"
SAMPLES_DIR = RESOURCE_DIR / "samples"


class Colors:
    """Mirrors the variables at the top of studio.qss (QSS has no variables of its own)."""

    WINDOW = "#0d0f14"
    SURFACE = "#151922"
    CARD = "#1a1f2b"
    BORDER = "#2a3142"
    TEXT = "#e8ebf2"
    MUTED = "#8f98ab"
    FAINT = "#5d6678"
    ACCENT = "#8b5cf6"
    ACCENT_2 = "#22d3ee"
    DANGER = "#f43f5e"
    SUCCESS = "#10b981"
    WARNING = "#f59e0b"


@cache
def stylesheet() -> str:
    return STYLE_FILE.read_text(encoding="utf-8")


STYLE_ARGS = ["-style", "fusion"]  # QApplication arguments: the style the QSS is drawn over


def apply_theme(app: QApplication, *, set_style: bool = True) -> None:
    """Fusion, palette, font and QSS. An app created with STYLE_ARGS already runs Fusion:
    pass `set_style=False` (asking for it here builds QStyle's Python enums, ~7 ms)."""
    if set_style:
        app.setStyle("Fusion")
    palette = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, Colors.WINDOW),
        (QPalette.ColorRole.Base, Colors.SURFACE),
        (QPalette.ColorRole.AlternateBase, Colors.CARD),
        (QPalette.ColorRole.Text, Colors.TEXT),
        (QPalette.ColorRole.WindowText, Colors.TEXT),
        (QPalette.ColorRole.ButtonText, Colors.TEXT),
        (QPalette.ColorRole.Button, Colors.CARD),
        (QPalette.ColorRole.Highlight, Colors.ACCENT),
        (QPalette.ColorRole.HighlightedText, "#ffffff"),
        (QPalette.ColorRole.PlaceholderText, Colors.FAINT),
        (QPalette.ColorRole.ToolTipBase, Colors.CARD),
        (QPalette.ColorRole.ToolTipText, Colors.TEXT),
        (QPalette.ColorRole.Link, Colors.ACCENT_2),
    ):
        palette.setColor(role, QColor(colour))
    app.setPalette(palette)
    font = QFont(app.font())
    font.setPointSizeF(10.0)
    app.setFont(font)
    app.setStyleSheet(stylesheet())


def set_state(widget: QWidget, name: str, value: str | bool) -> None:
    """Set a dynamic property used by QSS selectors and re-apply the style, which Qt does not
    do by itself when a property changes; no-op when the value is unchanged."""
    if widget.property(name) == value:
        return
    widget.setProperty(name, value)
    if not widget.testAttribute(Qt.WidgetAttribute.WA_WState_Polished):
        return  # not styled yet: the first polish reads the new value
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
