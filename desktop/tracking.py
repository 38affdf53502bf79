"""The product tracking events of seed 000 (SPEC section 8), sent from the UI to the service.

Names are `desktop-fe…` for what the UI sees; the `be…` events are the service's to send and
are listed here only so the fourteen names live in one place. Prompt text never leaves the
machine through analytics: only its length. Events queue while the service is unreachable and
are flushed in order when it answers; "seen" events (a card showing a state) are sent once per
visit of the screen, not on every repaint.
"""

from __future__ import annotations

import logging
from collections import deque
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from shared.errors import ReelcraftError

if TYPE_CHECKING:
    import asyncio

    from desktop.bridge import ServiceBridge

log = logging.getLogger(__name__)
CLIENT = "desktop"
MAX_QUEUED = 500


class Event(StrEnum):
    MODEL_SELECTION_VISIBLE = "feVideoModelSelectionVisible"
    MODEL_SELECTED = "feVideoModelSelected"
    PROMPT_ENTERED = "feVideoPromptEntered"
    DURATION_TOGGLED = "feVideoDurationToggled"
    GENERATE_CLICKED = "feVideoGenerateClicked"
    GENERATION_STARTED = "beVideoGenerationStarted"
    GENERATION_COMPLETED = "beVideoGenerationCompleted"
    GENERATION_FAILED = "beVideoGenerationFailed"
    PREVIEW_PLAYED = "feVideoPreviewPlayed"
    PUBLISHED = "feVideoPublished"
    REGENERATE_CLICKED = "feVideoRegenerateClicked"
    DISCARDED = "feVideoDiscarded"
    INSUFFICIENT_CREDITS = "feVideoInsufficientCredits"
    MODEL_UNAVAILABLE = "feVideoModelUnavailable"

    @property
    def frontend(self) -> bool:
        return self.value.startswith("fe")

    @property
    def wire_name(self) -> str:
        return f"{CLIENT}-{self.value}"


class Tracker:
    """Events queue from the first paint; they are sent once a bridge is attached and the
    service answers (the Create screen is usable before the service code is even loaded)."""

    def __init__(self, bridge: ServiceBridge | None = None) -> None:
        self._bridge: ServiceBridge | None = None
        self._queue: deque[tuple[str, dict[str, Any]]] = deque(maxlen=MAX_QUEUED)
        self._seen: set[tuple[str, str]] = set()
        self._flushing: asyncio.Task[None] | None = None
        self.sent = 0
        if bridge is not None:
            self.attach(bridge)

    def attach(self, bridge: ServiceBridge) -> None:
        self._bridge = bridge
        bridge.connection_changed.connect(self._connection_changed)
        self._schedule()

    def track(self, event: Event, **data: Any) -> None:
        if not event.frontend:
            raise ValueError(f"{event.value} is sent by the service, not the UI")
        if "prompt" in data:
            raise ValueError("never send the prompt text; send promptLength")
        self._queue.append((event.wire_name, data))
        self._schedule()

    def track_once(self, event: Event, key: str, **data: Any) -> None:
        """A state the user *sees*: reported once per screen visit (see `new_visit`)."""
        if (event.value, key) not in self._seen:
            self._seen.add((event.value, key))
            self.track(event, **data)

    def new_visit(self) -> None:
        self._seen.clear()

    @property
    def pending(self) -> int:
        return len(self._queue)

    async def flush(self) -> None:
        while self._queue and self._bridge is not None:
            client = self._bridge.client
            if client is None:
                return
            name, data = self._queue[0]
            try:
                await client.track(name, **data)
            except ReelcraftError as exc:
                if self._bridge.client is None:
                    return  # the connection dropped: keep it for the next connection
                log.warning("analytics event %s rejected: %s", name, exc)
            self._queue.popleft()
            self.sent += 1

    def _schedule(self) -> None:
        if self._bridge is None or self._bridge.client is None:
            return
        if self._flushing is None or self._flushing.done():
            from desktop.async_slot import spawn

            try:
                self._flushing = spawn(self.flush())
            except RuntimeError:
                return  # no loop yet (start-up): the connection will flush

    def _connection_changed(self, _state: str) -> None:
        self._schedule()
