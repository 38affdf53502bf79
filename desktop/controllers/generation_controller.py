"""What happens to a generation after Generate: progress, cancel, failure (toast + Retry),
completion (notification, preview), publish, regenerate and discard."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from PySide6.QtCore import QObject, Signal

from desktop import formatting
from desktop.async_slot import async_slot
from desktop.bridge import ServiceBridge
from desktop.errors import detail, explain
from desktop.notifications import Notifier
from desktop.tracking import Event, Tracker
from desktop.viewmodels.create_vm import CreateViewModel
from desktop.viewmodels.jobs import JobsStore
from desktop.views.progress import money_note
from desktop.views.toast import ToastHost, ToastKind
from shared.errors import ErrorCode, ReelcraftError, human_message
from shared.schemas import Generation, GenerationRequest
from shared.states import JobState

if TYPE_CHECKING:
    from desktop.views.preview import PreviewView  # QtMultimedia: loaded on first preview

MAX_CACHED_VIDEOS = 30


def retry_request(request: GenerationRequest) -> GenerationRequest:
    """The user's own choices again, under a new idempotency key; the service fills the rest."""
    return GenerationRequest(
        model=request.model,
        input_image_sha256=request.input_image_sha256,
        character_name=request.character_name,
        character_description=request.character_description,
        prompt=request.prompt,
        negative_prompt=request.negative_prompt,
        duration_s=request.duration_s,
        resolution=request.resolution,
        aspect_ratio=request.aspect_ratio,
        audio=request.audio,
        options=request.options,
        price_book=request.price_book,
    )


class GenerationController(QObject):
    preview_opened = Signal(object)  # Generation
    video_loaded = Signal(object, object)  # Generation, Path

    def __init__(
        self,
        bridge: ServiceBridge,
        jobs: JobsStore,
        vm: CreateViewModel,
        tracker: Tracker,
        toasts: ToastHost,
        notifier: Notifier,
        preview: Callable[[], PreviewView],
        video_dir: Path,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.jobs = jobs
        self.vm = vm
        self.tracker = tracker
        self.toasts = toasts
        self.notifier = notifier
        self._preview = preview
        self.video_dir = video_dir
        self._attempts: dict[UUID, int] = {}
        jobs.finished.connect(self._finished)

    def label(self, model: str) -> str:
        listing = self.vm.listing(model)
        return listing.label if listing is not None else model

    # -- job outcomes -----------------------------------------------------------------------

    def _finished(self, generation: Generation) -> None:
        label = self.label(generation.request.model)
        name = generation.request.character_name or "Your video"
        if generation.state is JobState.READY:
            self.notifier.notify("Your video is ready", f"{name} · {label} is ready to preview.")
        elif generation.state is JobState.FAILED:
            reason = human_message(generation.error_code or ErrorCode.PROVIDER_ERROR)
            self.notifier.notify("Video generation failed", f"{name} · {label}: {reason}")
            refunded = generation.credits_charged == 0
            self.toasts.show(
                ToastKind.ERROR,
                "Video generation failed." + (" Credits refunded." if refunded else ""),
                f"{label}: {reason}",
                action="Retry",
                on_action=lambda: self.retry(generation.id),
            )
        elif generation.state is JobState.CANCELLED:
            self.toasts.show(ToastKind.INFO, "Generation cancelled.", f"{money_note(generation)}.")

    @async_slot
    async def cancel(self, generation_id: UUID) -> None:
        try:
            self.jobs.apply(await self.bridge.require_client().cancel(generation_id))
        except ReelcraftError as exc:
            self.toasts.show(ToastKind.ERROR, "Couldn't cancel the generation.", explain(exc))

    @async_slot
    async def retry(self, generation_id: UUID) -> None:
        old = self.jobs.get(generation_id)
        if old is None:
            return
        try:
            client = self.bridge.require_client()
            self.jobs.apply(await client.create_generation(retry_request(old.request)))
        except ReelcraftError as exc:
            self.toasts.show(ToastKind.ERROR, explain(exc), detail(exc))

    # -- preview ----------------------------------------------------------------------------

    @async_slot
    async def open_preview(self, generation_id: UUID) -> None:
        generation = self.jobs.get(generation_id)
        try:
            client = self.bridge.require_client()
            if generation is None:
                generation = await client.generation(generation_id)
                self.jobs.apply(generation)
        except ReelcraftError as exc:
            self.toasts.show(ToastKind.ERROR, "Couldn't open the preview.", explain(exc))
            return
        view = self._preview()
        view.show_generation(
            generation, self.label(generation.request.model), self._regenerate_cost(generation)
        )
        self.preview_opened.emit(generation)
        await self._load_video(view, generation)

    async def _load_video(self, view: PreviewView, generation: Generation) -> None:
        target = self.video_dir / f"{generation.id}.mp4"
        try:
            if not target.exists():
                self.video_dir.mkdir(parents=True, exist_ok=True)
                await self.bridge.require_client().download_video(generation.id, target)
                self._trim_cache()
        except (ReelcraftError, OSError) as exc:
            message = explain(exc) if isinstance(exc, ReelcraftError) else str(exc)
            view.show_error(f"The video couldn't be loaded. {message}")
            return
        if view.generation is not None and view.generation.id == generation.id:
            view.play_file(target)
            self.video_loaded.emit(generation, target)

    def _trim_cache(self) -> None:
        files = sorted(self.video_dir.glob("*.mp4"), key=lambda p: p.stat().st_mtime)
        for old in files[:-MAX_CACHED_VIDEOS]:
            old.unlink(missing_ok=True)

    def _regenerate_cost(self, generation: Generation) -> int | None:
        listing = self.vm.listing(generation.request.model)
        if listing is None:
            return None
        resolution = generation.request.resolution or listing.default_resolution
        for quote in listing.prices:
            if quote.duration_s == generation.request.duration_s and quote.resolution == resolution:
                return quote.credits
        return None

    def preview_changed(self, generation: Generation) -> None:
        """Keep an open preview in step with the service (publish state, discard)."""
        view = self._preview()
        if view.generation is not None and view.generation.id == generation.id:
            view.update_post_state(generation)

    def played(self, generation: Generation, seconds: float) -> None:
        self.tracker.track(
            Event.PREVIEW_PLAYED, model=generation.request.model, playDurationSec=seconds
        )

    @async_slot
    async def publish(self, generation: Generation) -> None:
        cost = generation.credits_charged or generation.credits_reserved
        self.tracker.track(
            Event.PUBLISHED,
            model=generation.request.model,
            creditCost=cost,
            resolution=generation.request.resolution,
        )
        try:
            published = await self.bridge.require_client().publish(generation.id)
        except ReelcraftError as exc:
            self._preview().update_post_state(generation)
            self.toasts.show(ToastKind.ERROR, "Couldn't publish the video.", explain(exc))
            return
        self.jobs.apply(published)
        self.preview_changed(published)
        self.toasts.show(
            ToastKind.SUCCESS, "Sent to moderation.", "It appears in the feed once approved."
        )

    @async_slot
    async def regenerate(self, generation: Generation) -> None:
        attempt = self._attempts.get(generation.id, generation.attempt) + 1
        self._attempts[generation.id] = attempt
        self.tracker.track(
            Event.REGENERATE_CLICKED,
            model=generation.request.model,
            creditCost=self._regenerate_cost(generation),
            attemptNumber=attempt,
        )
        try:
            fresh = await self.bridge.require_client().regenerate(generation.id, str(uuid4()))
        except ReelcraftError as exc:
            self.toasts.show(ToastKind.ERROR, explain(exc), detail(exc))
            return
        self.jobs.apply(fresh)
        cost = fresh.credits_reserved or self._regenerate_cost(generation) or 0
        self.toasts.show(
            ToastKind.INFO,
            "Regenerating with the same model and prompt.",
            f"{formatting.credits(cost)} reserved. Follow it in the Queue.",
        )

    @async_slot
    async def discard(self, generation: Generation) -> None:
        self.tracker.track(Event.DISCARDED, model=generation.request.model)
        try:
            discarded = await self.bridge.require_client().discard(generation.id)
        except ReelcraftError as exc:
            self.toasts.show(ToastKind.ERROR, "Couldn't discard the video.", explain(exc))
            return
        self.jobs.apply(discarded)
        self.preview_changed(discarded)
        self.toasts.show(ToastKind.INFO, "Video discarded.", "Credits are not refunded.")
