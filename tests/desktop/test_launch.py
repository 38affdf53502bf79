"""`reelcraft` with no command opens the studio, which starts the local service on demand."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from desktop.views.main_window import MainWindow
from reelcraft.cli import main
from shared.client import read_service_file
from tests.support.service import FAST_EMULATOR


def test_reelcraft_without_a_command_opens_the_studio(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in FAST_EMULATOR.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    data_dir = tmp_path / "data"
    seen: dict[str, object] = {}

    def studio_window() -> MainWindow | None:
        return next(
            (w for w in qapp.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()),
            None,
        )

    def check() -> None:
        window = studio_window()
        if window is not None:
            seen.setdefault("shown", window.windowTitle())
            if window.connection.state == "connected" and "credit" in window.sidebar_balance.text():
                seen["connected"] = window.sidebar_balance.text()
                window.close()
                return
        QTimer.singleShot(50, check)

    def give_up() -> None:
        window = studio_window()
        if window is not None:
            window.close()

    QTimer.singleShot(0, check)
    QTimer.singleShot(45_000, give_up)
    try:
        assert main(["--data-dir", str(data_dir)]) == 0
    finally:
        info = read_service_file(data_dir)
        if info is not None:
            os.kill(info.pid, signal.SIGTERM)
    assert seen.get("shown") == "Reelcraft Studio"
    assert seen.get("connected") == "0 credits"  # the balance came from the service it started
    assert (data_dir / "logs" / "studio.log").exists()
