"""Progress panels: one per running job (animated bar, model, elapsed and remaining time,
Cancel), which turn into the job's outcome when it ends (Preview, Retry, Dismiss)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

from PySide6.QtCore import QSize, QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop import formatting
from desktop.icons import icon
from desktop.theme import Colors, set_state
from desktop.views.character_picker import rounded
from desktop.views.progress_bar import AnimatedBar
from shared.errors import human_message
from shared.schemas import Generation
from shared.states import JobState

# (label, estimated render seconds) of a model id
Describe = Callable[[str], tuple[str, int]]

STATUS = {
    JobState.QUEUED: "Queued",
    JobState.SUBMITTING: "Sending to the provider",
    JobState.RUNNING: "Rendering",
    JobState.DOWNLOADING: "Downloading",
    JobState.READY: "Ready to preview",
    JobState.FAILED: "Failed",
    JobState.CANCELLED: "Cancelled",
}
THUMB = QSize(46, 60)


def remaining_s(generation: Generation, estimate_s: int, now: datetime) -> float | None:
    """Blend the catalogue estimate with the provider's percentage as it becomes reliable."""
    elapsed = (now - generation.created_at).total_seconds()
    by_estimate = estimate_s - elapsed
    progress = generation.progress or 0.0
    if progress >= 3:
        by_progress = elapsed * (100 - progress) / progress
        weight = progress / 100
        return max(0.0, weight * by_progress + (1 - weight) * max(by_estimate, 0.0))
    return by_estimate if by_estimate > 0 else None


def bar_value(generation: Generation, estimate_s: int, now: datetime) -> float | None:
    """The provider's percentage when it reports one (Kling, Kie); otherwise, while rendering,
    the share of the catalogue's render estimate already elapsed, held below 95% (fal and
    Gemini report no percentage). Queued and submitting jobs get the indeterminate bar."""
    if generation.state is JobState.DOWNLOADING:
        return max(generation.progress or 0.0, 96.0)
    if generation.state.is_terminal:
        return 100.0 if generation.state is JobState.READY else generation.progress or 0.0
    if generation.state is not JobState.RUNNING:
        return None
    if generation.progress:
        return generation.progress
    elapsed = (now - generation.created_at).total_seconds()
    return min(95.0, 100.0 * elapsed / max(estimate_s, 1))


def money_note(generation: Generation) -> str:
    """Only claim a refund the record shows: nothing charged."""
    if generation.credits_charged == 0:
        return "Credits refunded"
    return f"{formatting.credits(generation.credits_charged)} charged"


class ProgressPanel(QFrame):
    cancel_requested = Signal(object)  # generation id
    preview_requested = Signal(object)
    retry_requested = Signal(object)
    dismissed = Signal(object)

    def __init__(self, generation: Generation, describe: Describe, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ProgressPanel")
        self.has_thumbnail = False
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.generation = generation
        self._describe = describe
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 12, 14, 12)
        row.setSpacing(14)
        self.thumb = QLabel(self)
        self.thumb.setObjectName("ProgressThumb")
        self.thumb.setFixedSize(THUMB)
        row.addWidget(self.thumb)

        middle = QVBoxLayout()
        middle.setSpacing(5)
        head = QHBoxLayout()
        self.title = QLabel(self)
        self.title.setObjectName("ProgressTitle")
        head.addWidget(self.title)
        head.addSpacing(8)
        self.status = QLabel(self)
        self.status.setObjectName("ProgressStatus")
        head.addWidget(self.status)
        head.addStretch(1)
        middle.addLayout(head)
        self.bar = AnimatedBar(self)
        middle.addWidget(self.bar)
        self.meta = QLabel(self)
        self.meta.setObjectName("ProgressMeta")
        middle.addWidget(self.meta)
        row.addLayout(middle, 1)

        self.cancel = QPushButton("Cancel", self)
        self.cancel.setObjectName("SecondaryButton")
        self.cancel.clicked.connect(lambda: self.cancel_requested.emit(self.generation.id))
        self.preview = QPushButton("Preview", self)
        self.preview.setObjectName("PrimaryButton")
        self.preview.setIcon(icon("play", "#ffffff", 14))
        self.preview.clicked.connect(lambda: self.preview_requested.emit(self.generation.id))
        self.retry = QPushButton("Retry", self)
        self.retry.setObjectName("PrimaryButton")
        self.retry.setIcon(icon("refresh", "#ffffff", 14))
        self.retry.clicked.connect(lambda: self.retry_requested.emit(self.generation.id))
        self.dismiss = QPushButton(self)
        self.dismiss.setObjectName("ToastClose")
        self.dismiss.setIcon(icon("x", Colors.MUTED, 16))
        self.dismiss.setToolTip("Dismiss")
        self.dismiss.clicked.connect(lambda: self.dismissed.emit(self.generation.id))
        for button in (self.cancel, self.preview, self.retry, self.dismiss):
            row.addWidget(button)
        self.update_generation(generation)

    def set_thumbnail(self, image: QImage) -> None:
        self.thumb.setPixmap(rounded(image, THUMB, 8))
        self.has_thumbnail = True

    def update_generation(self, generation: Generation) -> None:
        self.generation = generation
        state = generation.state
        label, _ = self._describe(generation.request.model)
        resolution = generation.request.resolution or ""
        self.title.setText(f"{label} · {generation.request.duration_s} s {resolution}".strip())
        status = STATUS[state]
        if state is JobState.RUNNING and generation.progress:
            status += f" · {generation.progress:.0f}%"
        if state in (JobState.FAILED, JobState.CANCELLED):
            status += f" · {money_note(generation)}"
        self.status.setText(status)
        set_state(self, "state", state.value)
        self.bar.set_color(
            Colors.SUCCESS
            if state is JobState.READY
            else Colors.DANGER
            if state in (JobState.FAILED, JobState.CANCELLED)
            else Colors.ACCENT
        )
        self.cancel.setVisible(not state.is_terminal)
        self.preview.setVisible(state is JobState.READY)
        self.retry.setVisible(state is JobState.FAILED)
        self.dismiss.setVisible(state.is_terminal)
        self.tick()

    def tick(self, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        generation = self.generation
        _, estimate = self._describe(generation.request.model)
        self.bar.set_value(
            bar_value(generation, estimate, now), running=not generation.state.is_terminal
        )
        if generation.state.is_terminal:
            end = generation.finished_at or generation.updated_at
            took = formatting.clock((end - generation.created_at).total_seconds())
            if generation.state is JobState.FAILED and generation.error_code is not None:
                self.meta.setText(human_message(generation.error_code))
            else:
                self.meta.setText(f"Took {took}")
            return
        elapsed = formatting.clock((now - generation.created_at).total_seconds())
        left = formatting.remaining(remaining_s(generation, estimate, now))
        self.meta.setText(f"Elapsed {elapsed} · {left}")


class ProgressList(QWidget):
    """Panels for the jobs it is told about; ticks their clocks once a second."""

    cancel_requested = Signal(object)
    preview_requested = Signal(object)
    retry_requested = Signal(object)

    def __init__(
        self,
        describe: Describe,
        thumbnail: Callable[[Generation], QImage | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._describe = describe
        self._thumbnail = thumbnail
        self.panels: dict[UUID, ProgressPanel] = {}
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(10)
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)
        self.hide()

    def show_job(self, generation: Generation) -> None:
        panel = self.panels.get(generation.id)
        if panel is None:
            panel = ProgressPanel(generation, self._describe, self)
            panel.cancel_requested.connect(self.cancel_requested)
            panel.preview_requested.connect(self.preview_requested)
            panel.retry_requested.connect(self.retry_requested)
            panel.dismissed.connect(self.remove)
            self.panels[generation.id] = panel
            self._layout.insertWidget(0, panel)
            panel.show()
        else:
            panel.update_generation(generation)
        self.refresh_thumbnail(generation.id)
        self._sync()

    def update_job(self, generation: Generation) -> None:
        """Update a panel already shown; jobs not shown here are ignored."""
        if generation.id in self.panels:
            self.show_job(generation)

    def refresh_thumbnail(self, generation_id: UUID) -> None:
        panel = self.panels.get(generation_id)
        if panel is not None and not panel.has_thumbnail:  # scaled once, not on every update
            image = self._thumbnail(panel.generation)
            if image is not None:
                panel.set_thumbnail(image)

    def remove(self, generation_id: UUID) -> None:
        panel = self.panels.pop(generation_id, None)
        if panel is not None:
            self._layout.removeWidget(panel)
            panel.deleteLater()
        self._sync()

    def _sync(self) -> None:
        self.setVisible(bool(self.panels))
        running = any(not p.generation.state.is_terminal for p in self.panels.values())
        if running and not self._clock.isActive():
            self._clock.start()
        elif not running:
            self._clock.stop()

    def _tick(self) -> None:
        now = datetime.now(UTC)
        for panel in self.panels.values():
            panel.tick(now)
