"""Desktop tests: real widgets (offscreen), async tests on a qasync loop over the QApplication.

STACK.md: `qtbot.waitUntil`/`waitSignal` hang inside async tests on the qasync loop, so async
tests poll with `until()` (asyncio.sleep) instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication

from desktop.theme import apply_theme
from shared.listing import price_list_document
from shared.price_list import PriceList
from tests.desktop.helpers import SCREENSHOTS


def _qapp() -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication([])
        apply_theme(app)
    return app


def _qasync_loop() -> asyncio.AbstractEventLoop:
    loop: asyncio.AbstractEventLoop = qasync.QEventLoop(_qapp())
    return loop


def pytest_asyncio_loop_factories(config: Any, item: Any) -> dict[str, Callable[[], Any]]:
    return {"qasync": _qasync_loop}


@pytest.fixture(scope="session")
def qapp() -> QApplication:
    """pytest-qt's QApplication, themed like the studio."""
    app = _qapp()
    apply_theme(app)
    return app


@pytest.fixture
def listings() -> PriceList:
    """The default price book computed from the catalogue (not the start-up snapshot)."""
    return PriceList.from_json(price_list_document())


@pytest.fixture
def screenshots() -> Iterator[Path]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield SCREENSHOTS
