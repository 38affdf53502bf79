"""Event-loop lag and CPU of this process: what the diagnostics endpoint and benches read."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from dataclasses import dataclass, field


@dataclass
class LoopMonitor:
    """Sleeps `interval_s` repeatedly; any oversleep is time the loop was blocked."""

    interval_s: float = 0.05
    window: int = 1200
    samples_ms: deque[float] = field(default_factory=lambda: deque(maxlen=1200))
    worst_ms: float = 0.0
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="loop-monitor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def reset(self) -> None:
        self.samples_ms.clear()
        self.worst_ms = 0.0

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(self.interval_s)
            lag = max(0.0, (loop.time() - start - self.interval_s) * 1000)
            self.samples_ms.append(lag)
            self.worst_ms = max(self.worst_ms, lag)

    def snapshot(self) -> dict[str, float]:
        ordered = sorted(self.samples_ms)
        p99 = ordered[int(len(ordered) * 0.99) - 1] if ordered else 0.0
        return {
            "loop_lag_worst_ms": round(self.worst_ms, 2),
            "loop_lag_p99_ms": round(p99, 2),
            "cpu_seconds": round(time.process_time(), 3),
        }
