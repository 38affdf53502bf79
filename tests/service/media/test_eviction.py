"""The size budget: LRU eviction that never touches pinned work, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from service.media import MediaStore
from service.storage.base import utcnow
from service.storage.db import open_database, session_factory
from service.storage.tables import GenerationRow, UserRow
from shared.media_schemas import MediaStatus, ThumbnailSize
from tests.service.media.clips import image_bytes
from tests.service.media.conftest import FAST, ClipServer


@pytest.fixture(params=["sqlite", "postgresql"])
def any_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    return url


@pytest.fixture
async def any_engine(any_url: str) -> AsyncIterator[AsyncEngine]:
    async with open_database(any_url) as engine:
        yield engine


def _store(media_dir: Path, engine: AsyncEngine, client: httpx.AsyncClient) -> MediaStore:
    # No grace period and every access counted, so a test can order uses precisely.
    return MediaStore(
        media_dir,
        engine,
        client,
        budget_bytes=1 << 30,
        policy=FAST,
        eviction_grace=timedelta(0),
        touch_interval=timedelta(0),
    )


async def _generation(
    engine: AsyncEngine, *, state: str, post_state: str, media: str | None, image: str
) -> None:
    async with session_factory(engine).begin() as s:
        if await s.get(UserRow, "local") is None:
            s.add(UserRow(id="local"))
            await s.flush()
        s.add(
            GenerationRow(
                id=str(uuid.uuid4()),
                user_id="local",
                client_request_id=str(uuid.uuid4()),
                model="kling-2.6",
                request={"input_image_sha256": image, "prompt": ""},
                state=state,
                post_state=post_state,
                media_sha256=media,
            )
        )


async def test_eviction_keeps_everything_the_user_has_not_discarded(
    media_dir: Path,
    any_engine: AsyncEngine,
    client: httpx.AsyncClient,
    clip_server: ClipServer,
) -> None:
    store = _store(media_dir, any_engine, client)
    v = [await store.fetch_result(clip_server.url(f"v{i}.mp4")) for i in range(4)]
    imgs = [await store.ingest_input_image(image_bytes("PNG", (200 + i, 200))) for i in range(4)]
    draft, discarded, published, orphan = (x.sha256 for x in v)
    kept_input, live_input, discarded_input, unused_input = (x.sha256 for x in imgs)

    async def generation(state: str, post_state: str, media: str | None, image: str) -> None:
        await _generation(any_engine, state=state, post_state=post_state, media=media, image=image)

    await generation("ready", "draft", draft, kept_input)
    await generation("ready", "discarded", discarded, discarded_input)
    await generation("ready", "approved", published, kept_input)
    await generation("ready", "rejected", None, kept_input)  # may be resubmitted
    await generation("running", "draft", None, live_input)

    await store.aclose()
    store.budget_bytes = 0
    report = await store.evict_to_budget()

    assert set(report.evicted) == {discarded, orphan, discarded_input, unused_input}
    for sha in (draft, published, kept_input, live_input):
        assert await store.path_for(sha) is not None, sha
    for sha in report.evicted:
        assert await store.path_for(sha) is None
    assert report.over_budget_bytes == report.cached_bytes_after == await store.cached_bytes()
    await store.aclose()


async def test_least_recently_used_goes_first_and_only_until_within_budget(
    store: MediaStore,
    clip_server: ClipServer,
) -> None:
    store.eviction_grace, store.touch_interval = timedelta(0), timedelta(0)
    a, b, c = [await store.fetch_result(clip_server.url(f"v{i}.mp4")) for i in range(3)]
    assert await store.path_for(a.sha256) is not None  # a is now the most recently used

    await store.aclose()
    store.budget_bytes = a.size_bytes + c.size_bytes
    report = await store.evict_to_budget()

    assert report.evicted == [b.sha256]
    assert await store.cached_bytes() == a.size_bytes + c.size_bytes


async def test_new_files_trigger_eviction_but_never_of_fresh_downloads(
    store: MediaStore,
    clip_server: ClipServer,
) -> None:
    """A download is evictable only after a grace period: the job engine records the hash in
    its generation a moment after the download returns."""
    store.budget_bytes = 1
    first = await store.fetch_result(clip_server.url("v0.mp4"))
    await store.aclose()  # let the background pass triggered by the new file finish
    assert (await store.info(first.sha256)).status is MediaStatus.CACHED  # type: ignore[union-attr]

    store.eviction_grace, store.eviction_cooldown = timedelta(0), timedelta(0)
    second = await store.fetch_result(clip_server.url("v1.mp4"))
    await store.aclose()
    for sha in (first.sha256, second.sha256):
        info = await store.info(sha)
        assert info is not None and info.status is MediaStatus.EVICTED


async def test_evicted_video_is_fetched_again_while_its_url_lives(
    store: MediaStore,
    clip_server: ClipServer,
    media_dir: Path,
) -> None:
    store.eviction_grace = timedelta(0)
    info = await store.fetch_result(clip_server.url("v2.mp4"), source_expires_at=None)
    original = (await store.path_for(info.sha256)).read_bytes()  # type: ignore[union-attr]
    await store.aclose()
    store.budget_bytes = 0
    assert (await store.evict_to_budget()).evicted == [info.sha256]
    store.budget_bytes = 1 << 30
    assert await store.path_for(info.sha256) is None
    assert (await store.info(info.sha256)).status is MediaStatus.EVICTED  # type: ignore[union-attr]
    # The poster stays: the history list still shows the clip.
    assert await store.thumbnail(info.sha256, ThumbnailSize.LARGE) is not None

    before = len(clip_server.requests)
    path = await store.ensure_available(info.sha256)
    assert path.read_bytes() == original
    assert clip_server.requests[before:] == ["v2.mp4"]
    assert (await store.info(info.sha256)).status is MediaStatus.CACHED  # type: ignore[union-attr]
    # Already there: no second download.
    assert await store.ensure_available(info.sha256) == path
    assert len(clip_server.requests) == before + 1


async def test_file_deleted_behind_the_cache_is_fetched_again(
    store: MediaStore,
    clip_server: ClipServer,
) -> None:
    info = await store.fetch_result(clip_server.url("v3.mp4"))
    path = await store.path_for(info.sha256)
    assert path is not None
    path.unlink()
    assert await store.path_for(info.sha256) is None
    again = await store.ensure_available(info.sha256)
    assert again == path and again.stat().st_size == info.size_bytes


async def test_store_is_created_from_settings(
    data_dir: Path,
    engine: AsyncEngine,
    client: httpx.AsyncClient,
) -> None:
    from shared.config import Settings

    settings = Settings(data_dir=data_dir, cache_budget_mb=7)
    store = MediaStore.from_settings(settings, engine, client)
    assert store.budget_bytes == 7 * 1024 * 1024
    assert store.layout.root == settings.media_dir and settings.media_dir.is_dir()
    stale = store.layout.tmp_dir / "crashed.part"
    stale.write_bytes(b"half a video")
    import os

    old = utcnow().timestamp() - 7 * 3600
    os.utime(stale, (old, old))
    fresh = store.layout.tmp_dir / "in-progress.part"
    fresh.write_bytes(b"another process")
    await store.start()
    assert not stale.exists() and fresh.exists()


async def test_a_cache_full_of_pinned_work_is_not_rescanned_after_every_download(
    media_dir: Path, engine: AsyncEngine, client: httpx.AsyncClient, clip_server: ClipServer
) -> None:
    """Pinned work may exceed the budget; each new file must not cost a full pin scan."""
    scans: list[int] = []

    async def everything_pinned(candidates: Sequence[str]) -> set[str]:
        scans.append(len(candidates))
        return set(candidates)

    store = MediaStore(
        media_dir,
        engine,
        client,
        budget_bytes=1,
        policy=FAST,
        pinned=everything_pinned,
        eviction_grace=timedelta(0),
    )
    for i in range(4):
        await store.fetch_result(clip_server.url(f"v{i}.mp4"))
        await store.aclose()
    assert len(scans) == 1  # the first pass found only pinned files; the rest waited
    report = await store.evict_to_budget()  # an explicit pass always runs
    assert report.evicted == [] and report.skipped_pinned == 4 and len(scans) == 2
    assert report.over_budget_bytes == await store.cached_bytes() - 1
