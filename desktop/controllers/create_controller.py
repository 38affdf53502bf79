"""What the Create screen sends to the service: the character image (uploaded as soon as it is
chosen and the service is there) and Generate. The choices themselves (cards, duration,
resolution, prompt) are ChoicesController's, which runs before the service code loads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from desktop.async_slot import async_slot, spawn
from desktop.bridge import ServiceBridge
from desktop.controllers.choices_controller import seconds
from desktop.errors import detail, explain
from desktop.image_cache import ImageCache
from desktop.tracking import Event, Tracker
from desktop.viewmodels.create_vm import CreateViewModel
from desktop.viewmodels.jobs import JobsStore
from desktop.views.character_picker import CharacterChoice
from desktop.views.create_view import CreateView
from desktop.views.toast import ToastHost, ToastKind
from shared.errors import ErrorCode, ReelcraftError
from shared.schemas import GenerationRequest


class CreateController(QObject):
    submitted = Signal(object)  # Generation accepted by the service

    def __init__(
        self,
        view: CreateView,
        vm: CreateViewModel,
        bridge: ServiceBridge,
        tracker: Tracker,
        jobs: JobsStore,
        images: ImageCache,
        toasts: ToastHost,
        open_credits: Callable[[str], object],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.view = view
        self.vm = vm
        self.bridge = bridge
        self.tracker = tracker
        self.jobs = jobs
        self.images = images
        self.toasts = toasts
        self.open_credits = open_credits
        self.price_book = "default"
        self._upload: asyncio.Task[str] | None = None
        self._upload_key = ""
        view.get_credits_requested.connect(self.open_credits)
        view.character_changed.connect(self._character_changed)
        view.generate_clicked.connect(self.generate)
        bridge.connection_changed.connect(self._connection_changed)

    # -- the character ----------------------------------------------------------------------

    def _character_changed(self, choice: CharacterChoice | None) -> None:
        if choice is not None and choice.sha256 is None and self.bridge.client is not None:
            self._start_upload(choice)

    def _connection_changed(self, _state: str) -> None:
        choice = self.view.picker.choice
        if self.bridge.client is not None and choice is not None and choice.sha256 is None:
            self._start_upload(choice)

    def _start_upload(self, choice: CharacterChoice) -> asyncio.Task[str]:
        if (
            self._upload is None
            or self._upload_key != choice.key
            or (self._upload.done() and self._upload.exception() is not None)
        ):
            self._upload_key = choice.key
            self._upload = spawn(self._send_image(choice))
            self._upload.add_done_callback(self._upload_done)
        return self._upload

    def _upload_done(self, task: asyncio.Task[str]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if isinstance(exc, ReelcraftError) and exc.code is not ErrorCode.INTERNAL:
            self.toasts.show(
                ToastKind.ERROR,
                "The character image was not accepted.",
                explain(exc) + (f" ({detail(exc)})" if detail(exc) else ""),
            )

    async def _send_image(self, choice: CharacterChoice) -> str:
        if choice.path is None:
            raise ReelcraftError(ErrorCode.INVALID_INPUT, "the character image is gone")
        client = self.bridge.require_client()
        data = await asyncio.get_event_loop().run_in_executor(None, choice.path.read_bytes)
        stored = await client.upload_input(data, choice.path.name)
        choice.sha256 = stored.sha256
        self.images.put(ImageCache.input_key(stored.sha256), choice.image)
        return stored.sha256

    # -- Generate ---------------------------------------------------------------------------

    @async_slot
    async def generate(self) -> None:
        card = self.vm.selected_card
        choice = self.view.picker.choice
        if card is None or choice is None or not self.vm.generate.enabled:
            return
        prompt = self.view.prompt_text
        self.tracker.track(
            Event.GENERATE_CLICKED,
            model=card.model,
            creditCost=card.credits,
            resolution=card.resolution,
            duration=seconds(self.vm.duration),
            hasPrompt=bool(prompt),
        )
        self.vm.set_submitting(True)
        try:
            sha256 = choice.sha256 or await self._start_upload(choice)
            request = GenerationRequest(
                model=card.model,
                input_image_sha256=sha256,
                character_name=self.view.picker.character_name or choice.name,
                prompt=prompt,
                duration_s=self.vm.duration,
                resolution=card.resolution,
                price_book=self.price_book,
            )
            generation = await self.bridge.require_client().create_generation(request)
        except ReelcraftError as exc:
            self._refused(exc)
            return
        finally:
            self.vm.set_submitting(False)
        self.jobs.apply(generation)
        self.submitted.emit(generation)

    def _refused(self, exc: ReelcraftError) -> None:
        if exc.code is ErrorCode.INSUFFICIENT_CREDITS:
            model = self.vm.selected or ""
            self.toasts.show(
                ToastKind.ERROR,
                explain(exc),
                detail(exc),
                action="Get Credits",
                on_action=lambda: self.open_credits(model),
            )
            spawn(self.bridge.refresh_balance())
        else:
            self.toasts.show(ToastKind.ERROR, explain(exc), detail(exc))
