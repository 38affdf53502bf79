"""In-process publish/subscribe of job and balance changes (feeds the SSE stream)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class BusEvent:
    type: str  # generation | balance
    user_id: str
    data: dict[str, Any]


@dataclass
class EventBus:
    """Fan-out to subscribers; a slow subscriber loses old events, never blocks the runner."""

    queue_size: int = 1000
    _subscribers: set[asyncio.Queue[BusEvent]] = field(default_factory=set)

    def publish(self, event: BusEvent) -> None:
        for queue in list(self._subscribers):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(event)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[BusEvent]]:
        queue: asyncio.Queue[BusEvent] = asyncio.Queue(self.queue_size)
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)
