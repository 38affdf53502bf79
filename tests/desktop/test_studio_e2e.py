"""The whole studio, through its real widgets, against a real service process with the
provider emulator behind it: generate, watch, preview, publish; cancel; failure; states."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget

from desktop.views.main_window import Page
from shared.states import JobState, PostState
from tests.desktop.helpers import until
from tests.desktop.studio_driver import click, current, generate, running_studio
from tests.support.service import ServiceProcess

RENDER_TIMEOUT = 90.0


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    process = ServiceProcess(tmp_path_factory.mktemp("e2e") / "data").start()
    with process.http() as http:
        http.post("/credits/grants", json={"user_id": "local", "amount": 850}).raise_for_status()
    yield process
    process.stop()


async def test_generate_watch_progress_preview_and_publish(
    service: ServiceProcess, tmp_path: Path
) -> None:
    async with running_studio(service, tmp_path) as studio:
        assert not studio.window.demo_banner.isHidden()  # no provider keys: demo mode
        start = studio.vm.balance.available
        assert start is not None and start >= 200
        generation = await generate(studio, "Mira turns to the camera and smiles")
        assert studio.vm.generate.busy is False
        panel = studio.create_progress.panels[generation.id]
        assert panel.isVisible()
        assert panel.title.text().startswith("Kling 2.6 · 5 s")
        assert "Elapsed" in panel.meta.text() or panel.generation.state.is_terminal
        # Credits are reserved at once and the balance shows it.
        await until(lambda: studio.vm.balance.available == start - 200, 15, "the reservation")
        other = QWidget()  # the user looks elsewhere: the finish raises a notification
        other.show()
        other.activateWindow()
        await until(
            lambda: current(studio, generation).state.is_terminal, RENDER_TIMEOUT, "the render"
        )
        ready = current(studio, generation)
        assert ready.state is JobState.READY, ready.error_message
        assert panel.status.text() == "Ready to preview" and panel.preview.isVisible()
        assert ready.credits_charged == 200
        assert studio.notifier.history[-1][0] == "Your video is ready"
        assert studio.queue_view.row_of(generation.id) is not None

        click(panel.preview)
        await until(lambda: studio.window.current_page is Page.PREVIEW, 10, "the preview page")
        preview = studio.preview()
        await until(lambda: preview.surface.frames_shown > 0, 30, "a first frame")
        assert abs(preview.player.duration() - 5000) < 250
        assert preview.character.text() == "Mira"
        assert preview.prompt.text() == "Mira turns to the camera and smiles"
        click(preview.publish_button)
        await until(
            lambda: current(studio, generation).post_state is PostState.IN_REVIEW, 15, "publish"
        )
        assert preview.post_state.text() == "In review"
        assert not preview.publish_button.isEnabled()
        other.close()


async def test_cancel_refunds_the_reservation(service: ServiceProcess, tmp_path: Path) -> None:
    async with running_studio(service, tmp_path) as studio:
        start = studio.vm.balance.available
        assert start is not None
        generation = await generate(studio, "A slow one [emulator:timing?queue_s=0.2&render_s=30]")
        panel = studio.create_progress.panels[generation.id]
        await until(lambda: studio.vm.balance.available == start - 200, 15, "the reservation")
        click(panel.cancel)
        await until(
            lambda: current(studio, generation).state is JobState.CANCELLED, 20, "the cancel"
        )
        await until(lambda: studio.vm.balance.available == start, 15, "the refund")
        assert panel.status.text() == "Cancelled · Credits refunded"
        assert current(studio, generation).credits_charged == 0


async def test_a_failure_shows_the_toast_with_retry_and_refunds(
    service: ServiceProcess, tmp_path: Path
) -> None:
    async with running_studio(service, tmp_path) as studio:
        start = studio.vm.balance.available
        assert start is not None
        generation = await generate(studio, "This one breaks [emulator:render_failure]")
        await until(
            lambda: current(studio, generation).state is JobState.FAILED,
            RENDER_TIMEOUT,
            "the failure",
        )
        await until(lambda: studio.vm.balance.available == start, 15, "the refund")
        toasts = [t for t in studio.window.toasts.toasts if t.kind.value == "error"]
        assert toasts, "no failure toast"
        toast = toasts[-1]
        assert toast.title.text() == "Video generation failed. Credits refunded."
        assert toast.action is not None and toast.action.text() == "Retry"
        assert "_" not in toast.body.text()  # a sentence, not a code
        panel = studio.create_progress.panels[generation.id]
        assert panel.status.text() == "Failed · Credits refunded"
        before = set(studio.jobs._jobs)
        click(toast.action)
        await until(lambda: set(studio.jobs._jobs) - before != set(), 15, "the retry")
        (retry_id,) = set(studio.jobs._jobs) - before
        retry = studio.jobs.get(retry_id)
        assert retry is not None and retry.request.prompt == generation.request.prompt
        click(studio.create_progress.panels[retry_id].cancel)
        await until(lambda: studio.vm.balance.available == start, 20, "the retry's refund")


async def test_live_availability_and_insufficient_credits(
    service: ServiceProcess, tmp_path: Path
) -> None:
    async with running_studio(service, tmp_path) as studio:
        view = studio.create_view
        balance = studio.vm.balance.available
        assert balance is not None and 400 <= balance < 900  # the module grants 850
        click(view.duration.button("10"))
        sora = view.cards["sora-2"]
        assert sora.resolution_toggle is not None
        click(sora.resolution_toggle.button("720p"))
        assert sora.property("state") == "insufficient_credits"
        assert sora.get_credits_button.isVisible() and not sora.cost.isVisible()
        click(sora)  # an unaffordable card opens the purchase dialog
        dialog = studio.credits.dialog
        assert dialog is not None and dialog.isVisible()
        assert f"Your balance is {balance:,} credits." in dialog.subtitle.text()
        assert "Sora 2 needs 900 credits" in dialog.subtitle.text()
        dialog.close_button.click()
        assert studio.vm.selected == "kling-2.6"
        assert view.generate_button.text() == "Generate Video (400 credits)"
        # The service reports no route renders Sora at 10 s 1080p: unavailable, with why.
        click(sora.resolution_toggle.button("1080p"))
        assert sora.property("state") == "unavailable"
        assert sora.unavailable_reason.text().startswith("Not offered at 10 s 1080p")
        veo = view.cards["veo-3.1"]
        assert veo.property("state") == "unavailable" and veo.overlay.isVisible()
