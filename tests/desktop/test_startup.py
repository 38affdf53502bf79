"""Start-up: the Create screen is on screen and takes input before the service side's code
(pydantic, httpx, asyncio, the keychain) has even loaded; pages clicked in that moment open
once they exist; choices made then are tracked, not lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from desktop.first_screen import build_first_screen
from desktop.views.main_window import Page
from shared.price_list import shipped_price_list

ROOT = Path(__file__).parents[2]

# Run through the real entry point (`reelcraft` with no command) in a fresh interpreter; the
# probe runs when the studio reports the Create screen interactive, then ends the process.
PROBE = """
import json, os, sys
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from desktop import app

def probe(first):
    view = first.create_view
    before = view.cards["kling-2.6"].cost.text()
    QTest.mouseClick(view.duration.button("10"), Qt.MouseButton.LeftButton)
    loaded = [m for m in ("pydantic", "httpx", "keyring", "asyncio", "qasync", "yaml",
                          "desktop.studio", "shared.schemas") if m in sys.modules]
    print(json.dumps({
        "visible": first.window.isVisible(),
        "cards": sorted(view.cards),
        "before": before,
        "after": view.cards["kling-2.6"].cost.text(),
        "tracked": first.tracker.pending,
        "loaded": loaded,
    }), flush=True)
    os._exit(0)

app.on_interactive(probe)
from reelcraft.cli import main
main(sys.argv[1:])
"""


def test_the_create_screen_reprices_before_the_service_code_loads(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    env.pop("REELCRAFT_DATA_DIR", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("{")), None)
    assert line is not None, done.stderr[-2000:]
    seen = json.loads(line)
    assert seen["visible"]
    assert seen["cards"] == ["kling-2.6", "sora-2", "veo-3.1"]
    assert (seen["before"], seen["after"]) == ("200", "400")  # seed 000: 5 s and 10 s
    assert seen["tracked"] >= 1  # the toggle was tracked (queued until the service answers)
    assert seen["loaded"] == []


def test_a_page_clicked_before_it_exists_opens_when_it_arrives(qtbot: QtBot) -> None:
    first = build_first_screen(shipped_price_list())
    qtbot.addWidget(first.window)
    first.window.show()
    qtbot.mouseClick(first.window.nav[Page.LIBRARY], Qt.MouseButton.LeftButton)
    assert first.window.current_page is Page.CREATE  # nothing to show yet, and no error
    library = QLabel("library")
    first.window.add_page(Page.LIBRARY, library)
    assert first.window.current_page is Page.LIBRARY
    first.window.add_page(Page.QUEUE, QLabel("queue"))
    assert first.window.current_page is Page.LIBRARY  # only the page that was asked for
