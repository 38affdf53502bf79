"""`run_studio`: the Qt application on a qasync loop, the window on screen at once from the
shipped catalogue, and the service connection started in the background."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from desktop.bridge import Connector
    from desktop.studio import Studio

log = logging.getLogger(__name__)


def resolve_data_dir(explicit: Path | None, config_dir: Path) -> Path:
    """`--data-dir` wins, then REELCRAFT_DATA_DIR, then Settings, then the per-user default."""
    if explicit is not None:
        return explicit
    if os.environ.get("REELCRAFT_DATA_DIR"):
        return Path(os.environ["REELCRAFT_DATA_DIR"])
    from desktop.settings_store import SettingsStore

    chosen = SettingsStore(config_dir).load().data_dir
    if chosen:
        return Path(chosen)
    from shared.paths import default_data_dir

    return default_data_dir()


def create_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("Reelcraft")
    app.setApplicationDisplayName("Reelcraft Studio")
    app.setOrganizationName("Reelcraft")
    from desktop.theme import apply_theme

    apply_theme(app)
    return app


def build_studio(
    data_dir: Path, config_dir: Path | None = None, connector: Connector | None = None
) -> Studio:
    """The studio with its window shown, priced from the shipped catalogue (no service yet)."""
    from desktop.settings_store import default_config_dir
    from desktop.studio import Studio, StudioConfig
    from shared.catalogue import DEFAULT_PRICE_BOOK, shipped_catalogue
    from shared.listing import model_listings

    catalogue = shipped_catalogue()
    book = catalogue.price_book(DEFAULT_PRICE_BOOK)
    studio = Studio(
        StudioConfig(data_dir, config_dir or default_config_dir(), connector),
        model_listings(catalogue, DEFAULT_PRICE_BOOK),
        default_model=book.default_model,
        default_duration=book.default_duration,
    )
    studio.window.show()
    return studio


def _log_uncaught(kind: type[BaseException], value: BaseException, tb: object) -> None:
    """Slots run inside Qt: an error there is logged (redacted), never a silent crash."""
    log.error("unexpected error", exc_info=(kind, value, tb))  # type: ignore[arg-type]


def run_studio(args: argparse.Namespace) -> int:
    import qasync

    from desktop.settings_store import default_config_dir
    from shared.logging import configure_logging

    app = create_application()
    config_dir = default_config_dir()
    data_dir = resolve_data_dir(getattr(args, "data_dir", None), config_dir)
    configure_logging("INFO", data_dir / "logs" / "studio.log")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise
    previous_hook, sys.excepthook = sys.excepthook, _log_uncaught
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    studio = build_studio(data_dir, config_dir)
    QTimer.singleShot(0, studio.start)  # after the first paint: the window never waits
    closed = asyncio.Event()
    app.lastWindowClosed.connect(closed.set)
    try:
        with loop:
            loop.run_until_complete(closed.wait())
            loop.run_until_complete(studio.close())
    finally:
        sys.excepthook = previous_hook
    return 0
