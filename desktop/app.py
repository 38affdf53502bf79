"""`run_studio`: the window first, then everything else.

Start-up order (SPEC section 9: an interactive Create screen within 1.5x a bare PySide6 window):
1. QApplication and the theme, the shipped price list and the first screen (first_screen.py),
   shown and painted. Nothing on this path imports pydantic, httpx, the keychain or asyncio.
2. The rest of the code (asyncio and qasync, pydantic schemas, httpx, the other pages, the
   controllers) is imported on a worker thread while the UI thread runs a plain Qt event loop:
   the Create screen takes input from here on ("interactive"); prices, toggles, selection and
   the prompt need nothing from the service side.
3. The qasync loop takes over, Studio attaches to the first screen and connects to the service.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from desktop.bridge import Connector
    from desktop.first_screen import FirstScreen
    from desktop.studio import Studio

log = logging.getLogger(__name__)

# What Studio needs that the first screen does not: imported off the UI thread.
SERVICE_SIDE_MODULES = ("qasync", "desktop.studio", "shared.client")

InteractiveCallback = Callable[["FirstScreen"], None]
_interactive_callbacks: list[InteractiveCallback] = []


def on_interactive(callback: InteractiveCallback) -> None:
    """Call `callback(first_screen)` once, when the Create screen first takes input."""
    _interactive_callbacks.append(callback)


def _config_dir() -> Path:
    from desktop.settings_store import default_config_dir

    return default_config_dir()


def resolve_data_dir(explicit: Path | None, config_dir: Path | None = None) -> Path:
    """`--data-dir` wins, then REELCRAFT_DATA_DIR, then Settings, then the per-user default."""
    if explicit is not None:
        return explicit
    if os.environ.get("REELCRAFT_DATA_DIR"):
        return Path(os.environ["REELCRAFT_DATA_DIR"])
    from desktop.settings_store import SettingsStore

    chosen = SettingsStore(config_dir or _config_dir()).load().data_dir
    if chosen:
        return Path(chosen)
    from shared.paths import default_data_dir

    return default_data_dir()


def create_application(argv: list[str] | None = None) -> QApplication:
    from desktop.theme import STYLE_ARGS, apply_theme

    app = QApplication.instance()
    created = not isinstance(app, QApplication)
    if not isinstance(app, QApplication):
        app = QApplication([*(argv if argv is not None else sys.argv), *STYLE_ARGS])
    app.setApplicationName("Reelcraft")
    app.setApplicationDisplayName("Reelcraft Studio")
    app.setOrganizationName("Reelcraft")
    apply_theme(app, set_style=not created)
    return app


def show_first_screen() -> FirstScreen:
    """The window with its Create screen priced from the shipped price list, on screen."""
    from desktop.first_screen import build_first_screen
    from shared.price_list import shipped_price_list

    first = build_first_screen(shipped_price_list())
    first.window.show()
    return first


def build_studio(
    data_dir: Path, config_dir: Path | None = None, connector: Connector | None = None
) -> Studio:
    """The whole studio in one go, window shown (no service yet): for tests and tools."""
    from desktop.settings_store import default_config_dir
    from desktop.studio import Studio, StudioConfig

    first = show_first_screen()
    first.create_view.picker.load_samples()
    return Studio(StudioConfig(data_dir, config_dir or default_config_dir(), connector), first)


def _import_service_side() -> list[tuple[Path, QImage]]:
    """On the worker thread: the service side's modules, and the sample characters decoded."""
    for name in SERVICE_SIDE_MODULES:
        importlib.import_module(name)
    from desktop.views.character_picker import decode_samples

    return decode_samples()


def load_service_side(first: FirstScreen, started: float) -> None:
    """Import the service side on a worker thread; the UI thread keeps serving the Create
    screen meanwhile (a plain Qt event loop: the GIL is handed over every few ms)."""
    import threading

    from PySide6.QtCore import QEventLoop, QTimer

    outcome: list[list[tuple[Path, QImage]] | BaseException] = []

    def work() -> None:
        try:
            outcome.append(_import_service_side())
        except BaseException as exc:  # re-raised on the UI thread
            outcome.append(exc)

    worker = threading.Thread(target=work, name="reelcraft-import")
    waiting = QEventLoop()
    poll = QTimer()
    poll.setInterval(5)
    poll.timeout.connect(lambda: None if worker.is_alive() else waiting.quit())

    def interactive() -> None:
        elapsed = (time.perf_counter() - started) * 1e3
        log.info("Create screen interactive %.0f ms after launch", elapsed)
        for callback in _interactive_callbacks:
            callback(first)
        worker.start()
        poll.start()

    QTimer.singleShot(0, interactive)  # the loop's first turn: the screen answers from here
    waiting.exec()
    poll.stop()
    if worker.ident is None:
        return  # the window closed at once
    worker.join()
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    first.create_view.picker.load_samples(outcome[0])


def _log_uncaught(kind: type[BaseException], value: BaseException, tb: object) -> None:
    """Slots run inside Qt: an error there is logged (redacted), never a silent crash."""
    log.error("unexpected error", exc_info=(kind, value, tb))  # type: ignore[arg-type]


def run_studio(args: argparse.Namespace, connector: Connector | None = None) -> int:
    started = time.perf_counter()
    app = create_application()
    data_dir = resolve_data_dir(getattr(args, "data_dir", None))
    first = show_first_screen()
    app.processEvents()  # the first paint
    from shared.logging import configure_logging

    configure_logging("INFO", data_dir / "logs" / "studio.log")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise
    previous_hook, sys.excepthook = sys.excepthook, _log_uncaught
    try:
        load_service_side(first, started)
        if not first.window.isVisible():
            return 0  # closed before the service side arrived: nothing to stop
        import asyncio

        import qasync
        from PySide6.QtCore import QTimer

        from desktop.studio import Studio, StudioConfig

        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        closed = asyncio.Event()
        app.lastWindowClosed.connect(closed.set)
        studio = Studio(StudioConfig(data_dir, _config_dir(), connector), first)
        QTimer.singleShot(0, studio.start)
        log.info("studio ready %.0f ms after launch", (time.perf_counter() - started) * 1e3)
        with loop:
            loop.run_until_complete(closed.wait())
            loop.run_until_complete(studio.close())
    finally:
        sys.excepthook = previous_hook
    return 0
