"""Loads the Library a page at a time from the service and fills in thumbnails as they come."""

from __future__ import annotations

from uuid import UUID

from PySide6.QtCore import QObject

from desktop.async_slot import async_slot
from desktop.bridge import ServiceBridge
from desktop.errors import explain
from desktop.image_cache import ImageCache
from desktop.views.library import LibraryFilter, LibraryView
from desktop.views.toast import ToastHost, ToastKind
from shared.errors import ReelcraftError
from shared.schemas import Generation
from shared.states import JobState


class LibraryController(QObject):
    def __init__(
        self,
        view: LibraryView,
        bridge: ServiceBridge,
        images: ImageCache,
        toasts: ToastHost,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.view = view
        self.bridge = bridge
        self.images = images
        self.toasts = toasts
        self.loads = 0
        self._ready: set[UUID] = set()
        self._waiting_input: dict[str, set[UUID]] = {}  # input sha256 -> generations
        view.load_requested.connect(self.load)
        images.loaded.connect(self._image_loaded)

    @async_slot
    async def load(self, selection: LibraryFilter, cursor: str | None) -> None:
        try:
            page = await self.bridge.require_client().generations(
                state=selection.states or None,
                post_state=selection.post_states or None,
                cursor=cursor,
                limit=self.view.page_size,
            )
        except ReelcraftError as exc:
            self.toasts.show(ToastKind.ERROR, "Couldn't load the library.", explain(exc))
            return
        if cursor is None:
            self._waiting_input.clear()
        self.view.set_page(page.items, page.next_cursor, append=cursor is not None)
        for generation in page.items:
            self._thumbnail(generation)
        self.loads += 1

    def apply(self, generation: Generation) -> None:
        self.view.update_generation(generation)
        self._thumbnail(generation)

    def _thumbnail(self, generation: Generation) -> None:
        if generation.state is not JobState.READY:
            # No video (yet, or ever): show its character, greyed out.
            sha = generation.request.input_image_sha256
            self._waiting_input.setdefault(sha, set()).add(generation.id)
            image = self.images.input_image(sha)
            if image is not None:
                self.view.set_thumbnail(generation.id, image, dim=True)
            return
        self._ready.add(generation.id)
        image = self.images.thumbnail(generation.id, "large")
        if image is not None:
            self.view.set_thumbnail(generation.id, image)

    def _image_loaded(self, key: str) -> None:
        if key.startswith("input:"):
            sha = key.split(":", 1)[1]
            image = self.images.input_image(sha)
            for generation_id in self._waiting_input.get(sha, set()) - self._ready:
                if image is not None:
                    self.view.set_thumbnail(generation_id, image, dim=True)
            return
        if not key.startswith("thumb:"):
            return
        generation_id = UUID(key.split(":")[1])
        if generation_id in self._ready:
            image = self.images.thumbnail(generation_id, "large")
            if image is not None:
                self.view.set_thumbnail(generation_id, image)
