"""Keeping downloaded bytes: written and hashed off the event loop, in order."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from pathlib import Path
from typing import IO

from service.media.layout import fsync_file

BATCH_BYTES = 1024 * 1024


class HashingSink:
    """Writes and hashes received bytes on a worker thread while the next bytes arrive.

    The event loop only collects chunks; every ``BATCH_BYTES`` they go to a worker thread
    that writes and hashes them (both release the GIL, so this runs on the other core).
    One batch is in flight at a time, which keeps order and bounds memory, and a thread hop
    per megabyte instead of per 64 KB socket read keeps the hand-off cheap.

    ``settle`` writes everything received so far: after it the file holds every byte that
    reached this process, which is where a resumed download continues.
    """

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.hasher = hashlib.sha256()
        self._batch: list[bytes] = []
        self._batch_bytes = 0
        self._pending: asyncio.Future[None] | None = None

    def _write(self, chunks: list[bytes]) -> None:
        for chunk in chunks:
            self.fh.write(chunk)
            self.hasher.update(chunk)

    async def write(self, chunk: bytes) -> None:
        self._batch.append(chunk)
        self._batch_bytes += len(chunk)
        if self._batch_bytes >= BATCH_BYTES:
            await self._dispatch()

    async def _dispatch(self) -> None:
        await self._wait()
        if self._batch:
            chunks, self._batch, self._batch_bytes = self._batch, [], 0
            loop = asyncio.get_running_loop()
            self._pending = loop.run_in_executor(None, self._write, chunks)

    async def _wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            await pending

    async def settle(self) -> None:
        await self._dispatch()
        await self._wait()

    async def abandon(self) -> None:
        """Let a write in flight end (so the file can be closed), ignoring its outcome."""
        self._batch, self._batch_bytes = [], 0
        with contextlib.suppress(BaseException):
            await self._wait()

    async def reset(self) -> None:
        self._batch, self._batch_bytes = [], 0
        await self._wait()
        self.fh.seek(0)
        self.fh.truncate()
        self.hasher = hashlib.sha256()

    async def finish(self, path: Path) -> str:
        """Everything on disk and durable; returns the sha256 of the whole file."""
        await self.settle()
        self.fh.flush()
        await asyncio.to_thread(fsync_file, path)
        return self.hasher.hexdigest()
