"""The whole studio, through its real widgets, against a real service process with the
provider emulator behind it: generate, watch, preview, publish; cancel; failure; states."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QWidget

from desktop.views.main_window import Page
from shared.states import JobState, PostState
from tests.desktop.helpers import until
from tests.desktop.studio_driver import click, current, generate, running_studio
from tests.support.service import ServiceProcess

RENDER_TIMEOUT = 90.0


def analytics(service: ServiceProcess) -> list[tuple[str, dict[str, object]]]:
    """The tracking events the service stored, oldest first."""
    with sqlite3.connect(service.data_dir / "reelcraft.db") as db:
        rows = db.execute("SELECT name, data FROM analytics_events ORDER BY id").fetchall()
    return [(name, json.loads(data)) for name, data in rows]


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
        click(preview.back_button)
        assert studio.window.current_page is Page.CREATE
        await until(lambda: studio.tracker.pending == 0, 10, "analytics to flush")
        events = analytics(service)
        names = [name.removeprefix("desktop-") for name, _ in events]
        for expected in (
            "feVideoModelSelectionVisible",
            "feVideoDurationToggled",
            "feVideoPromptEntered",
            "feVideoGenerateClicked",
            "feVideoModelUnavailable",
            "feVideoPublished",
            "feVideoPreviewPlayed",
        ):
            assert expected in names, expected
        clicked = dict(events)["desktop-feVideoGenerateClicked"]
        assert clicked == {
            "model": "kling-2.6",
            "creditCost": 200,
            "resolution": "1080p",
            "duration": "5s",
            "hasPrompt": True,
        }
        assert all("prompt" not in data for _, data in events)  # never the text itself
        played = dict(events)["desktop-feVideoPreviewPlayed"]
        assert played["model"] == "kling-2.6" and played["playDurationSec"] > 0


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


class _Browser(QObject):
    """Stands in for the user's browser: records the checkout address the studio opens."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toString())


async def test_get_credits_checkout_in_the_browser_then_the_balance_updates(
    service: ServiceProcess, tmp_path: Path
) -> None:
    browser = _Browser()
    for scheme in ("http", "https"):
        QDesktopServices.setUrlHandler(scheme, browser, "open")
    try:
        async with running_studio(service, tmp_path) as studio:
            start = studio.vm.balance.available
            assert start is not None
            click(studio.window.buy_button)
            dialog = studio.credits.dialog
            assert dialog is not None
            await until(lambda: len(dialog.cards) == 4, 10, "the packages")
            assert list(dialog.cards) == ["starter", "standard", "pro", "enterprise"]
            pro = dialog.cards["pro"]
            assert pro.button.text() == "Buy for $47.99"
            click(pro.button)
            await until(lambda: bool(browser.opened), 15, "the checkout to open")
            assert dialog.waiting
            # The user pays on the hosted page (the emulator's Pay button is a POST).
            httpx.post(browser.opened[-1], follow_redirects=False, timeout=15)
            await until(lambda: studio.vm.balance.available == start + 11_000, 20, "credit")
            assert "11,000 credits added" in dialog.status_text
    finally:
        for scheme in ("http", "https"):
            QDesktopServices.unsetUrlHandler(scheme)


async def test_library_filters_pages_previews_and_regenerates(
    service: ServiceProcess, tmp_path: Path
) -> None:
    async with running_studio(service, tmp_path) as studio:
        ready = await generate(studio, "Library: a good one")
        failed = await generate(studio, "Library: a bad one [emulator:render_failure]")
        await until(
            lambda: (
                current(studio, ready).state is JobState.READY
                and current(studio, failed).state is JobState.FAILED
            ),
            RENDER_TIMEOUT,
            "both outcomes",
        )
        library = studio.library_view
        library.page_size = 1
        studio.window.show_page(Page.LIBRARY)
        await until(lambda: len(library.item_ids()) == 1, 10, "the first page")
        assert library.more.isVisible()
        click(library.more)
        await until(lambda: len(library.item_ids()) == 2, 10, "the second page")
        assert library.item_ids() == [failed.id, ready.id]  # newest first
        library.filter.setCurrentText("Failed")
        await until(lambda: failed.id in library.item_ids(), 10, "the filter")
        await until(lambda: ready.id not in library.item_ids(), 10, "the filter")
        library.filter.setCurrentText("Ready to publish")
        await until(lambda: library.item_ids()[:1] == [ready.id], 10, "ready ones")
        await until(lambda: studio.images.thumbnail(ready.id) is not None, 10, "a thumbnail")
        library.grid.itemDoubleClicked.emit(library.grid.item(0))
        await until(lambda: studio.window.current_page is Page.PREVIEW, 10, "the preview")
        preview = studio.preview()
        assert preview.regenerate_button.text() == "Regenerate (200 credits)"
        balance = studio.vm.balance.available
        assert balance is not None
        before = set(studio.jobs._jobs)
        click(preview.regenerate_button)
        await until(lambda: set(studio.jobs._jobs) - before != set(), 15, "the regeneration")
        (again_id,) = set(studio.jobs._jobs) - before
        again = studio.jobs.get(again_id)
        assert again is not None and again.request.prompt == "Library: a good one"
        assert again.request.model == ready.request.model
        await until(lambda: studio.vm.balance.available == balance - 200, 10, "charged again")
        await until(lambda: current(studio, again).state.is_terminal, RENDER_TIMEOUT, "render")
