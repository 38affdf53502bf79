"""Progress panels, the Queue table, toasts and human error sentences, on real widgets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from desktop.errors import explain
from desktop.views.progress import ProgressList, remaining_s
from desktop.views.queue_view import QueueView
from desktop.views.toast import ToastHost, ToastKind
from shared.client import ServiceUnreachable
from shared.errors import ErrorCode, ReelcraftError, human_message
from shared.states import JobState
from tests.desktop.helpers import make_generation


def describe(model: str) -> tuple[str, int]:
    return {"kling-2.6": ("Kling 2.6", 120), "sora-2": ("Sora 2", 240)}[model]


def test_a_running_job_shows_model_progress_elapsed_remaining_and_cancel(qtbot: QtBot) -> None:
    progress = ProgressList(describe, lambda _g: None)
    qtbot.addWidget(progress)
    progress.show()
    generation = make_generation(state=JobState.QUEUED, progress=None)
    progress.show_job(generation)
    panel = progress.panels[generation.id]
    assert progress.isVisible() and panel.isVisible()
    assert panel.title.text() == "Kling 2.6 · 5 s 1080p"
    assert panel.status.text() == "Queued"
    assert panel.bar.value is None  # indeterminate until the provider reports a percentage
    assert panel.meta.text().startswith("Elapsed 0:3")
    assert "about 1 min left" in panel.meta.text()

    running = generation.model_copy(
        update={"state": JobState.RUNNING, "progress": 60.0, "updated_at": datetime.now(UTC)}
    )
    progress.show_job(running)
    assert panel.status.text() == "Rendering · 60%"
    assert panel.bar.value == 60.0
    assert panel.cancel.isVisible() and not panel.preview.isVisible()
    cancelled: list[object] = []
    progress.cancel_requested.connect(cancelled.append)
    qtbot.mouseClick(panel.cancel, Qt.MouseButton.LeftButton)
    assert cancelled == [generation.id]


def test_finished_jobs_offer_preview_retry_and_say_what_happened_to_the_credits(
    qtbot: QtBot,
) -> None:
    progress = ProgressList(describe, lambda _g: None)
    qtbot.addWidget(progress)
    progress.show()
    ready = make_generation(state=JobState.READY, progress=100.0, credits_charged=200)
    failed = make_generation(
        model="sora-2",
        state=JobState.FAILED,
        error_code=ErrorCode.PROVIDER_TIMEOUT,
        credits_charged=0,
    )
    cancelled = make_generation(state=JobState.CANCELLED, credits_charged=0)
    for generation in (ready, failed, cancelled):
        progress.show_job(generation)
    ok, bad, stopped = (progress.panels[g.id] for g in (ready, failed, cancelled))
    assert ok.status.text() == "Ready to preview"
    assert ok.preview.isVisible() and not ok.cancel.isVisible()
    assert bad.status.text() == "Failed · Credits refunded"
    assert bad.meta.text() == human_message(ErrorCode.PROVIDER_TIMEOUT)
    assert bad.retry.isVisible()
    assert stopped.status.text() == "Cancelled · Credits refunded"
    retried: list[object] = []
    progress.retry_requested.connect(retried.append)
    qtbot.mouseClick(bad.retry, Qt.MouseButton.LeftButton)
    assert retried == [failed.id]
    qtbot.mouseClick(stopped.dismiss, Qt.MouseButton.LeftButton)
    assert cancelled.id not in progress.panels


def test_remaining_time_follows_the_estimate_then_the_providers_progress() -> None:
    now = datetime.now(UTC)
    start = make_generation(state=JobState.RUNNING, progress=None)
    start = start.model_copy(update={"created_at": now - timedelta(seconds=20)})
    assert remaining_s(start, 120, now) == 100
    late = start.model_copy(update={"created_at": now - timedelta(seconds=200)})
    assert remaining_s(late, 120, now) is None  # past the estimate: no made-up number
    half = late.model_copy(update={"progress": 50.0})
    assert remaining_s(half, 120, now) == 100  # 200 s for half: about 200 s more, weighted


def test_the_queue_lists_every_job_newest_first(qtbot: QtBot) -> None:
    queue = QueueView(ProgressList(describe, lambda _g: None), describe)
    qtbot.addWidget(queue)
    queue.show()
    assert queue.empty.isVisible()
    older = make_generation(state=JobState.READY, credits_charged=200)
    older = older.model_copy(update={"created_at": older.created_at - timedelta(minutes=5)})
    newer = make_generation(model="sora-2", state=JobState.RUNNING, progress=10.0)
    queue.apply(older)
    queue.apply(newer)
    assert queue.table.rowCount() == 2
    assert queue.table.item(0, 2).text() == "Sora 2"
    assert queue.table.item(0, 4).text() == "Rendering · 10%"
    assert queue.table.item(1, 4).text() == "Ready to preview"
    assert newer.id in queue.progress.panels and not queue.empty.isVisible()
    opened: list[object] = []
    queue.preview_requested.connect(opened.append)
    queue.table.cellDoubleClicked.emit(1, 0)
    queue.table.cellDoubleClicked.emit(0, 0)  # still rendering: nothing to preview
    assert opened == [older.id]


def test_failure_toast_has_retry_and_every_error_reads_as_a_sentence(qtbot: QtBot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    window.resize(900, 600)
    window.show()
    host = ToastHost(window)
    retried: list[bool] = []
    toast = host.show(
        ToastKind.ERROR,
        "Video generation failed. Credits refunded.",
        "Kling 2.6: " + human_message(ErrorCode.PROVIDER_ERROR),
        action="Retry",
        on_action=lambda: retried.append(True),
    )
    assert toast.isVisible() and toast.action is not None
    assert toast.geometry().right() <= window.width() and toast.geometry().bottom() <= 600
    qtbot.mouseClick(toast.action, Qt.MouseButton.LeftButton)
    assert retried == [True]
    assert host.toasts == []
    for _ in range(6):
        host.show(ToastKind.INFO, "hello")
    assert len(host.toasts) == 4  # older toasts give way
    for code in ErrorCode:
        sentence = explain(ReelcraftError(code, "x"))
        assert sentence.endswith(".") and "_" not in sentence
    assert "reconnect" in explain(ServiceUnreachable("connection refused"))
