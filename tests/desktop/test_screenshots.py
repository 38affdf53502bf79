"""Screenshots for the README (docs/screenshots/), taken from the real studio against a real
service: every card state of the Create screen, progress panels, the preview, the Queue and
the Library. Each is also checked for what it must show, so a broken screen fails here."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from desktop.views.credits_dialog import CreditsDialog
from desktop.views.main_window import Page
from shared.ledger_schemas import CreditPackage
from shared.states import JobState
from tests.desktop.helpers import until
from tests.desktop.studio_driver import current, generate, running_studio
from tests.support.service import ServiceProcess

SIZE = (1360, 860)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    process = ServiceProcess(tmp_path_factory.mktemp("shots") / "data").start()
    yield process
    process.stop()


def grant(service: ServiceProcess, amount: int) -> None:
    with service.http() as http:
        http.post("/credits/grants", json={"user_id": "local", "amount": amount}).raise_for_status()


async def save(widget: QWidget, path: Path) -> None:
    await asyncio.sleep(0.15)  # let pending layout requests and repaints run first
    assert widget.grab().save(str(path))
    assert path.stat().st_size > 20_000  # a real picture, not an empty frame


async def test_screenshots(service: ServiceProcess, tmp_path: Path, screenshots: Path) -> None:
    grant(service, 300)
    async with running_studio(service, tmp_path) as studio:
        window, view = studio.window, studio.create_view
        window.resize(*SIZE)
        view.picker.choose_file(Path("resources/samples/mira.png"))
        view.prompt.setPlainText(
            "Mira walks through a neon-lit night market, turns to the camera and smiles."
        )
        QTest.mouseClick(view.duration.button("10"), Qt.MouseButton.LeftButton)
        await until(lambda: studio.vm.balance.available == 300, 10, "the balance")
        # Out of credits: both affordable-looking cards ask for credits, Veo is unavailable.
        states = {m: c.property("state") for m, c in view.cards.items()}
        assert states == {
            "kling-2.6": "insufficient_credits",
            "veo-3.1": "unavailable",
            "sora-2": "insufficient_credits",
        }
        assert view.balance_link.isVisible() and not view.generate_button.isEnabled()
        await save(window, screenshots / "create-low-balance.png")

        grant(service, 1700)
        await until(lambda: studio.vm.balance.available == 2000, 10, "the top-up")
        states = {m: c.property("state") for m, c in view.cards.items()}
        assert states == {"kling-2.6": "selected", "veo-3.1": "unavailable", "sora-2": "default"}
        assert view.generate_button.isEnabled()
        await save(window, screenshots / "create.png")

        view.prompt.setPlainText("A very long prompt. " * 27)
        assert view.prompt_error.isVisible() and not view.generate_button.isEnabled()
        await save(window, screenshots / "create-prompt-too-long.png")

        slow = await generate(studio, "Mira dances in the rain [emulator:timing?render_s=30]")
        other = await generate(studio, "Mira waves goodbye [emulator:timing?render_s=40]", 5)
        panels = [studio.create_progress.panels[g.id] for g in (slow, other)]
        await until(lambda: all((p.bar.value or 0) > 3 for p in panels), 20, "progress to show")
        view.prompt.setPlainText("")
        await save(window, screenshots / "progress.png")
        window.show_page(Page.QUEUE)
        await save(window, screenshots / "queue.png")
        for job in (slow, other):
            studio.generations.cancel(job.id)
        await until(
            lambda: all(current(studio, g).state is JobState.CANCELLED for g in (slow, other)),
            20,
            "the cancels",
        )

        window.show_page(Page.CREATE)
        ready = await generate(studio, "Mira turns to the camera and smiles, golden hour", 5)
        await until(lambda: current(studio, ready).state is JobState.READY, 90, "the render")
        for toast in list(window.toasts.toasts):
            toast.close_toast()
        studio.generations.open_preview(ready.id)
        preview = studio.preview()
        await until(lambda: preview.surface.frames_shown > 30, 30, "playback")
        await save(window, screenshots / "preview.png")

        window.show_page(Page.LIBRARY)
        await until(lambda: len(studio.library_view.item_ids()) >= 3, 15, "the library")
        await until(lambda: studio.images.thumbnail(ready.id) is not None, 15, "a thumbnail")
        await save(window, screenshots / "library.png")

        window.show_page(Page.SETTINGS)
        await save(window, screenshots / "settings.png")

        # The purchase dialog with the shipped packages (seed 002's tiers).
        raw = yaml.safe_load(Path("resources/catalogue/credit_packages.yaml").read_text())
        dialog = CreditsDialog(window)
        dialog.set_context(studio.vm.balance.available, 900, "Sora 2")
        dialog.set_packages([CreditPackage.model_validate(p) for p in raw["packages"]])
        dialog.show()
        assert [c.button.text() for c in dialog.cards.values()] == [
            "Buy for $9.99",
            "Buy for $24.99",
            "Buy for $47.99",
            "Buy for $89.99",
        ]
        await save(dialog, screenshots / "get-credits.png")
        dialog.close()
