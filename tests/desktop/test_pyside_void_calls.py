"""STACK.md: PySide6 6.12.0 on CPython 3.11 aborts after a few thousand void Qt calls.

qasync calls `killTimer` for every asyncio callback, so a bad pin kills the app within seconds
of real use. Run in a subprocess so an abort fails this test instead of the whole suite.
"""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel()
owner = QObject()
for i in range(10_000):
    label.setText(str(i))            # returns None
    owner.killTimer(owner.startTimer(1000))  # killTimer returns None
QTimer.singleShot(0, app.quit)
app.exec()
print("survived", label.text())
"""


def test_twenty_thousand_void_qt_calls_do_not_abort() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "survived 9999" in proc.stdout
