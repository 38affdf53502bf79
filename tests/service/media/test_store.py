"""The store's promises to the job engine and the API: expiry, auth, deduplication, locking."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from service.media import MediaStore
from service.media.layout import MediaLayout
from service.storage.base import utcnow
from service.storage.tables.media import MediaRow
from shared.errors import ErrorCode, ReelcraftError
from shared.media_schemas import MediaStatus
from tests.service.media.conftest import ClipServer, files_under


async def _evict(store: MediaStore, sha: str) -> None:
    """Evict everything unpinned once, then restore a roomy budget (so the background pass
    after a re-download does not evict it again)."""
    await store.aclose()  # the background pass each new file started must not race this one
    budget, grace = store.budget_bytes, store.eviction_grace
    store.eviction_grace, store.budget_bytes = timedelta(0), 0
    try:
        assert sha in (await store.evict_to_budget()).evicted
    finally:
        store.eviction_grace, store.budget_bytes = grace, budget


async def test_evicted_video_past_its_known_expiry_is_reported_expired_without_a_request(
    store: MediaStore,
    clip_server: ClipServer,
) -> None:
    expires = utcnow() + timedelta(milliseconds=300)
    info = await store.fetch_result(clip_server.url("v0.mp4"), source_expires_at=expires)
    assert info.source_expires_at == expires
    await _evict(store, info.sha256)
    await asyncio.sleep(0.35)

    before = len(clip_server.requests)
    with pytest.raises(ReelcraftError) as err:
        await store.ensure_available(info.sha256)
    assert err.value.code is ErrorCode.DOWNLOAD_FAILED and err.value.detail["reason"] == "expired"
    assert "expired" in err.value.message
    assert len(clip_server.requests) == before
    assert (await store.info(info.sha256)).status is MediaStatus.EXPIRED  # type: ignore[union-attr]


async def test_provider_refusing_an_evicted_video_marks_it_expired(
    store: MediaStore,
    clip_server: ClipServer,
) -> None:
    clip_server.gone.discard("v1.mp4")
    info = await store.fetch_result(clip_server.url("v1.mp4"))  # expiry unknown
    await _evict(store, info.sha256)
    clip_server.gone.add("v1.mp4")
    try:
        with pytest.raises(ReelcraftError) as err:
            await store.ensure_available(info.sha256)
    finally:
        clip_server.gone.discard("v1.mp4")
    assert err.value.detail["reason"] == "expired" and err.value.detail["status"] == 403
    # Remembered: the next viewer is told at once, and the URL is not tried again.
    assert (await store.info(info.sha256)).status is MediaStatus.EXPIRED  # type: ignore[union-attr]
    before = len(clip_server.requests)
    with pytest.raises(ReelcraftError):
        await store.ensure_available(info.sha256)
    assert len(clip_server.requests) == before


async def test_download_auth_comes_from_the_adapter_and_is_never_stored(
    store: MediaStore,
    clip_server: ClipServer,
) -> None:
    url = clip_server.url("keyed-v2.mp4") + f"?key={clip_server.key}&alt=media"
    with pytest.raises(ReelcraftError) as err:
        await store.fetch_result(clip_server.url("keyed-v2.mp4"))
    assert err.value.detail["reason"] == "unauthorized" and err.value.detail["attempts"] == 1

    info = await store.fetch_result(url, headers={"x-goog-api-key": clip_server.key})
    async with store.rows.sessions() as s:
        row = await s.get(MediaRow, info.sha256)
    assert row is not None and row.source_url is not None
    assert clip_server.key not in row.source_url and "alt=media" in row.source_url

    # A re-download after eviction gets the key from the adapter's lookup.
    await _evict(store, info.sha256)
    seen: list[str] = []

    def lookup(u: str) -> dict[str, str]:
        seen.append(u)
        return {"x-goog-api-key": clip_server.key}

    store.download_headers = lookup
    path = await store.ensure_available(info.sha256)
    assert path.stat().st_size == info.size_bytes and seen == [row.source_url]


async def test_same_result_twice_is_one_file_and_one_row(
    store: MediaStore,
    clip_server: ClipServer,
    media_dir: Path,
) -> None:
    first, second = await asyncio.gather(
        store.fetch_result(clip_server.url("v3.mp4")), store.fetch_result(clip_server.url("v3.mp4"))
    )
    assert first.sha256 == second.sha256
    assert len(files_under(media_dir, "*.mp4")) == 1
    assert await store.cached_bytes() == first.size_bytes
    await store.aclose()  # posters are written in the background
    assert files_under(media_dir / "tmp") == []


async def test_concurrent_viewers_of_an_evicted_video_share_one_download(
    store: MediaStore,
    clip_server: ClipServer,
) -> None:
    info = await store.fetch_result(clip_server.url("v0.mp4"))
    await _evict(store, info.sha256)
    before = len(clip_server.requests)
    paths = await asyncio.gather(*(store.ensure_available(info.sha256) for _ in range(5)))
    assert len(set(paths)) == 1 and paths[0].stat().st_size == info.size_bytes
    assert len(clip_server.requests) == before + 1


async def test_unknown_hash_is_not_found(store: MediaStore) -> None:
    with pytest.raises(ReelcraftError) as err:
        await store.ensure_available("0" * 64)
    assert err.value.code is ErrorCode.INVALID_INPUT and err.value.detail["reason"] == "not_found"
    assert await store.path_for("0" * 64) is None
    assert await store.thumbnail("0" * 64) is None


def test_paths_are_built_only_from_hashes(tmp_path: Path) -> None:
    layout = MediaLayout(tmp_path)
    sha = "ab" * 32
    assert layout.relative_path(sha, "video/mp4") == f"ab/ab/{sha}.mp4"
    for bad in ("../../etc/passwd", "AB" * 32, "ab" * 31):
        with pytest.raises(ValueError):
            layout.relative_path(bad, "video/mp4")
