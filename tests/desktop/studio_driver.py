"""Drive the real studio the way a user does: build it, wait for the service, Generate."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from desktop.app import build_studio
from desktop.studio import Studio
from desktop.theme import SAMPLES_DIR
from shared.schemas import Generation
from tests.desktop.helpers import until
from tests.support.service import ServiceProcess


@asynccontextmanager
async def running_studio(service: ServiceProcess, tmp_path: Path) -> AsyncIterator[Studio]:
    studio = build_studio(service.data_dir, tmp_path / "config")
    studio.window.resize(1360, 860)
    studio.start()
    try:
        await until(
            lambda: studio.bridge.synced and studio.vm.balance.available is not None,
            30,
            "the studio to connect",
        )
        yield studio
    finally:
        await studio.close()
        studio.window.close()
        studio.window.deleteLater()


def click(widget: QWidget) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


async def generate(studio: Studio, prompt: str, duration: int = 5) -> Generation:
    view = studio.create_view
    view.picker.choose_file(SAMPLES_DIR / "mira.png")
    view.prompt.setPlainText(prompt)
    click(view.duration.button(str(duration)))
    await until(lambda: view.generate_button.isEnabled(), 20, "Generate to be enabled")
    before = set(studio.jobs._jobs)
    click(view.generate_button)
    await until(lambda: set(studio.jobs._jobs) - before != set(), 30, "the job to be accepted")
    (new_id,) = set(studio.jobs._jobs) - before
    generation = studio.jobs.get(new_id)
    assert generation is not None
    return generation


def current(studio: Studio, generation: Generation) -> Generation:
    latest = studio.jobs.get(generation.id)
    assert latest is not None
    return latest
