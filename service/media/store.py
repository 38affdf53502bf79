"""The media cache: the one object the job engine and the HTTP API talk to (SPEC section 7).

- ``fetch_result``: the job engine calls it the moment a provider reports success; it
  returns only once the video is downloaded, verified, durable and recorded, so the job may
  become ``ready`` (and capture credits) exactly when it returns. Any failure raises
  ``ReelcraftError(download_failed)``, after which the engine releases the credits. Poster
  frames follow a few milliseconds later, in the background.
- ``ingest_input_image``: uploads of character images.
- ``path_for`` / ``ensure_available`` / ``thumbnail``: what the API serves (see
  ``responses.serve_file``), re-downloading an evicted video while its provider URL lives.
- ``evict_to_budget``: runs by itself after every new file; callable on demand.

Blocking work (fsync, probing, image codecs, renames) runs in worker threads so a download
never stalls the service's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Collection, Coroutine, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from service.media.download import (
    BadContent,
    DownloadError,
    DownloadPolicy,
    ProgressCallback,
    Transfer,
    download,
)
from service.media.eviction import PinnedQuery, evict_to_budget, generations_pins
from service.media.images import ImageLimits, normalise_image
from service.media.layout import MediaLayout, publish, write_atomic
from service.media.probe import ProbeError, ProbeResult, probe_video
from service.media.rows import MediaRows, NewMedia, status_of, storable_url, to_info
from service.media.thumbnails import first_frame, render, render_all
from service.storage.base import utcnow
from service.storage.db import session_factory
from shared.config import Settings
from shared.errors import ErrorCode, ReelcraftError
from shared.media_schemas import (
    EvictionReport,
    InputImage,
    MediaInfo,
    MediaKind,
    MediaStatus,
    ThumbnailSize,
)

log = logging.getLogger(__name__)

# Headers for downloading a URL (the adapter's auth: Gemini needs its key); never stored.
HeadersLookup = Callable[[str], Mapping[str, str]]


class _KeyedLocks:
    """One asyncio.Lock per hash, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


async def verify_playable(path: Path) -> ProbeResult:
    """The download verification step: PyAV proves the file plays, off the event loop."""
    try:
        return await asyncio.to_thread(probe_video, path)
    except ProbeError as exc:
        raise BadContent("unplayable", f"the video does not play: {exc}") from exc


def _failed(reason: str, message: str, **detail: object) -> ReelcraftError:
    return ReelcraftError(ErrorCode.DOWNLOAD_FAILED, message, detail={"reason": reason, **detail})


class MediaStore:
    def __init__(
        self,
        media_dir: Path,
        engine: AsyncEngine,
        client: httpx.AsyncClient,
        *,
        budget_bytes: int,
        policy: DownloadPolicy = DownloadPolicy(),  # noqa: B008 (frozen)
        pinned: PinnedQuery | None = None,
        download_headers: HeadersLookup | None = None,
        image_limits: ImageLimits = ImageLimits(),  # noqa: B008 (frozen)
        eviction_grace: timedelta = timedelta(minutes=10),
        touch_interval: timedelta = timedelta(seconds=60),
        eviction_cooldown: timedelta = timedelta(seconds=60),
    ) -> None:
        self.layout = MediaLayout(media_dir)
        self.rows = MediaRows(session_factory(engine))
        self.client = client
        self.budget_bytes = budget_bytes
        self.policy = policy
        self.pinned = pinned or generations_pins(self.rows.sessions)
        self.download_headers = download_headers
        self.image_limits = image_limits
        self.eviction_grace = eviction_grace
        self.touch_interval = touch_interval
        self.eviction_cooldown = eviction_cooldown
        self._locks = _KeyedLocks()
        self._eviction: asyncio.Task[None] | None = None
        self._evict_again = False
        self._fruitless_pass_at: float | None = None
        self._background: set[asyncio.Task[None]] = set()
        self.layout.ensure()

    @classmethod
    def from_settings(
        cls, settings: Settings, engine: AsyncEngine, client: httpx.AsyncClient, **kwargs: Any
    ) -> MediaStore:
        budget = settings.cache_budget_mb * 1024 * 1024
        return cls(settings.media_dir, engine, client, budget_bytes=budget, **kwargs)

    async def start(self) -> None:
        """Remove what crashed downloads left in ``tmp/`` (call once at service start-up)."""
        await asyncio.to_thread(self.layout.sweep_tmp)

    async def aclose(self) -> None:
        """Wait for background work: posters, eviction (call before disposing of the engine)."""
        self._evict_again = False
        while pending := [t for t in self._background if not t.done()]:
            await asyncio.gather(*pending, return_exceptions=True)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # Posters and eviction are best effort; the next call retries. Never silent.
            log.error("media cache background task failed", exc_info=task.exception())

    # ----------------------------------------------------------------- results

    async def fetch_result(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        expected_size: int | None = None,
        expected_sha256: str | None = None,
        source_expires_at: datetime | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> MediaInfo:
        """Download, verify and store a provider's result; ReelcraftError(download_failed)."""
        transfer, probe = await self._download_verified(
            url, headers, expected_size, expected_sha256, on_progress
        )
        info = await self._store_video(transfer, probe, url, source_expires_at)
        self._schedule_eviction()
        return info

    async def _download_verified(
        self,
        url: str,
        headers: Mapping[str, str] | None,
        expected_size: int | None,
        expected_sha256: str | None,
        on_progress: ProgressCallback | None,
    ) -> tuple[Transfer, ProbeResult]:
        if headers is None and self.download_headers is not None:
            headers = self.download_headers(url)
        try:
            return await download(
                self.client,
                url,
                self.layout.new_tmp(),
                verify=verify_playable,
                headers=headers,
                expected_size=expected_size,
                expected_sha256=expected_sha256,
                policy=self.policy,
                on_progress=on_progress,
            )
        except DownloadError as exc:
            raise _failed(
                exc.reason, exc.message, attempts=exc.attempts, status=exc.status
            ) from exc

    async def _store_video(
        self, transfer: Transfer, probe: ProbeResult, url: str, expires_at: datetime | None
    ) -> MediaInfo:
        sha = transfer.sha256
        relative = self.layout.relative_path(sha, probe.mime)
        try:
            async with self._locks.hold(sha):
                await asyncio.to_thread(publish, transfer.path, self.layout.absolute(relative))
                row, _ = await self.rows.put(
                    NewMedia(
                        sha256=sha,
                        kind=MediaKind.VIDEO,
                        mime=probe.mime,
                        size_bytes=transfer.size,
                        path=relative,
                        width=probe.width,
                        height=probe.height,
                        duration_s=probe.duration_s,
                        video_codec=probe.video_codec,
                        audio_codec=probe.audio_codec,
                        has_audio=probe.has_audio,
                        source_url=storable_url(url),
                        source_expires_at=expires_at,
                    )
                )
        finally:
            transfer.path.unlink(missing_ok=True)  # only still there if publishing failed
        self._spawn(self._write_posters(sha, probe))
        return to_info(row)

    async def _write_posters(self, sha256: str, probe: ProbeResult) -> None:
        """Posters from the frame the probe decoded; after ``ready``, since the preview plays
        the video itself (``thumbnail`` renders a poster asked for before this is done)."""

        def write() -> None:
            for size, jpeg in render_all(probe.first_frame).items():
                path = self.layout.thumbnail_path(sha256, size)
                if not path.exists():
                    write_atomic(path, jpeg, self.layout.tmp_dir)

        await asyncio.to_thread(write)

    # ------------------------------------------------------------ input images

    async def ingest_input_image(self, data: bytes, filename: str | None = None) -> InputImage:
        """Validate, normalise and store a character image; ReelcraftError(invalid_input)."""
        norm = await asyncio.to_thread(normalise_image, data, filename, self.image_limits)
        sha = hashlib.sha256(norm.data).hexdigest()
        relative = self.layout.relative_path(sha, norm.mime)
        final = self.layout.absolute(relative)
        async with self._locks.hold(sha):
            row = await self.rows.get(sha)
            reused = row is not None and row.path is not None and final.exists()
            if not reused:
                await asyncio.to_thread(write_atomic, final, norm.data, self.layout.tmp_dir)
            await self.rows.put(
                NewMedia(
                    sha256=sha,
                    kind=MediaKind.IMAGE,
                    mime=norm.mime,
                    size_bytes=len(norm.data),
                    path=relative,
                    width=norm.width,
                    height=norm.height,
                )
            )
        if not reused:
            self._schedule_eviction()
        return InputImage(
            sha256=sha,
            mime=norm.mime,
            width=norm.width,
            height=norm.height,
            size_bytes=len(norm.data),
            reused=reused,
        )

    # ----------------------------------------------------------------- serving

    async def info(self, sha256: str) -> MediaInfo | None:
        row = await self.rows.get(sha256)
        return to_info(row) if row is not None else None

    async def path_for(self, sha256: str) -> Path | None:
        """The cached file, or None if it is not on disk; counts as a use for LRU."""
        row = await self.rows.get(sha256)
        if row is None or row.path is None:
            return None
        path = self.layout.absolute(row.path)
        if not await asyncio.to_thread(path.is_file):
            # Deleted behind the cache's back: record it as evicted so it can be re-fetched.
            await self.rows.set_path(sha256, None)
            return None
        if row.last_access_at < utcnow() - self.touch_interval:
            await self.rows.touch(sha256, self.touch_interval)
        return path

    async def ensure_available(
        self, sha256: str, *, headers: Mapping[str, str] | None = None
    ) -> Path:
        """The cached file, downloading an evicted video again while its URL lives.

        Raises ReelcraftError: invalid_input for an unknown hash; download_failed with
        ``detail["reason"] == "expired"`` when the bytes are gone for good.
        """
        async with self._locks.hold(sha256):
            path = await self.path_for(sha256)
            if path is not None:
                return path
            row = await self.rows.get(sha256)
            if row is None:
                raise ReelcraftError(
                    ErrorCode.INVALID_INPUT, "no such media", detail={"reason": "not_found"}
                )
            if status_of(row) is MediaStatus.EXPIRED or row.source_url is None:
                raise _failed(
                    "expired",
                    "the file was removed from the cache and cannot be downloaded again "
                    "(its provider link has expired)",
                )
            url = row.source_url
            try:
                transfer, probe = await self._download_verified(
                    url, headers, row.size_bytes, sha256, None
                )
            except ReelcraftError as exc:
                if exc.detail.get("reason") == "expired":
                    await self.rows.mark_expired(sha256)
                raise
            relative = self.layout.relative_path(sha256, probe.mime)
            try:
                await asyncio.to_thread(publish, transfer.path, self.layout.absolute(relative))
            finally:
                transfer.path.unlink(missing_ok=True)
            await self.rows.set_path(sha256, relative)
            self._spawn(self._write_posters(sha256, probe))
        self._schedule_eviction()
        return self.layout.absolute(relative)

    async def thumbnail(
        self, sha256: str, size: ThumbnailSize = ThumbnailSize.LARGE
    ) -> Path | None:
        """The poster JPEG; rendered now if missing and the original is cached, else None."""
        path = self.layout.thumbnail_path(sha256, size)
        if await asyncio.to_thread(path.is_file):
            return path
        row = await self.rows.get(sha256)
        original = await self.path_for(sha256)
        if row is None or original is None:
            return None
        kind = MediaKind(row.kind)
        await asyncio.to_thread(self._render_thumbnail, original, kind, size, path)
        return path

    def _render_thumbnail(
        self, original: Path, kind: MediaKind, size: ThumbnailSize, dest: Path
    ) -> None:
        from PIL import Image

        if kind is MediaKind.VIDEO:
            frame = first_frame(original)
        else:
            with Image.open(original) as im:
                frame = im.convert("RGB")
        write_atomic(dest, render(frame, size), self.layout.tmp_dir)

    # ---------------------------------------------------------------- eviction

    async def cached_bytes(self) -> int:
        return await self.rows.cached_bytes()

    async def evict_to_budget(self, extra_pinned: Collection[str] = ()) -> EvictionReport:
        return await evict_to_budget(
            self.rows,
            budget_bytes=self.budget_bytes,
            pinned=self.pinned,
            remove=self._remove,
            extra_pinned=extra_pinned,
            grace=self.eviction_grace,
        )

    async def _remove(self, sha256: str, relative: str, used_before: datetime) -> bool:
        async with self._locks.hold(sha256):
            # The row first, and only if nobody used the file since the pass looked: a file
            # handed to a player a moment ago stays. A crash after this leaves an orphan
            # file, never a row pointing at nothing.
            if not await self.rows.clear_path_if_unused(sha256, relative, used_before):
                return False
            try:
                await asyncio.to_thread(os.unlink, self.layout.absolute(relative))
            except FileNotFoundError:
                pass
            except OSError:
                # e.g. open for playback on Windows: keep it, try again on a later pass.
                await self.rows.set_path(sha256, relative)
                return False
            return True

    def _schedule_eviction(self) -> None:
        """Evict in the background, one pass at a time, so ``ready`` is not delayed by it."""
        quiet = self._fruitless_pass_at
        if quiet is not None and time.monotonic() < quiet + self.eviction_cooldown.total_seconds():
            return
        if self._eviction is not None and not self._eviction.done():
            self._evict_again = True  # files arrived during the pass: run once more after it
            return
        self._eviction = self._spawn(self._evict_in_background())

    async def _evict_in_background(self) -> None:
        while True:
            self._evict_again = False
            report = await self.evict_to_budget()
            if report.over_budget_bytes and not report.evicted:
                # Everything left is pinned: scanning again after every download would find
                # the same. Look again in a while (pins end when users discard posts).
                self._fruitless_pass_at = time.monotonic()
            else:
                self._fruitless_pass_at = None
            if report.evicted or report.over_budget_bytes:
                log.info(
                    "media cache: evicted %d files, %d bytes cached, %d over budget (pinned)",
                    len(report.evicted),
                    report.cached_bytes_after,
                    report.over_budget_bytes,
                )
            if not self._evict_again:
                return
