"""Downloads against the provider emulator's fault injection, over real HTTP.

Every fault ends in one of two states a creator can tell apart: the video is in the cache,
byte-identical to what the provider rendered and playable; or the job fails with
download_failed and nothing of the broken file exists anywhere in the cache.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from service.media import MediaStore
from service.media.download import DownloadError, Transfer, download
from service.media.store import verify_playable
from shared.errors import ErrorCode, ReelcraftError
from shared.media_schemas import MediaStatus, ThumbnailSize
from tests.service.media.conftest import FAST, files_under, render_on_emulator
from tests.support.emulator import RunningEmulator


async def _download(client: httpx.AsyncClient, url: str, dest: Path, **kwargs: object) -> Transfer:
    kwargs.setdefault("policy", FAST)
    transfer, _ = await download(client, url, dest, verify=verify_playable, **kwargs)  # type: ignore[arg-type]
    return transfer


def _assert_nothing_cached(media_dir: Path) -> None:
    assert files_under(media_dir, "*.mp4") == []
    assert files_under(media_dir / "tmp") == []


async def test_clean_result_is_stored_verified_with_metadata_and_posters(
    store: MediaStore,
    client: httpx.AsyncClient,
    emulator: RunningEmulator,
    reference_sha256: str,
    media_dir: Path,
) -> None:
    result = await render_on_emulator(emulator, client)
    info = await store.fetch_result(result.url, expected_size=result.size)

    assert info.sha256 == reference_sha256
    assert info.status is MediaStatus.CACHED
    assert (info.width, info.height, info.duration_s) == (1280, 720, 4.0)
    assert (info.video_codec, info.audio_codec, info.has_audio) == ("h264", "aac", True)
    path = await store.path_for(info.sha256)
    assert path is not None and path.name == f"{info.sha256}.mp4"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == reference_sha256
    for size in ThumbnailSize:
        poster = await store.thumbnail(info.sha256, size)
        assert poster is not None
        from PIL import Image

        with Image.open(poster) as im:
            assert im.format == "JPEG" and im.width == int(size)
    await store.aclose()  # posters are written in the background
    assert files_under(media_dir / "tmp") == []


@pytest.mark.parametrize("fault", ["truncated_download", "dropped_download"])
async def test_broken_connection_resumes_from_the_last_byte_received(
    client: httpx.AsyncClient,
    emulator: RunningEmulator,
    reference_sha256: str,
    tmp_path: Path,
    fault: str,
) -> None:
    result = await render_on_emulator(emulator, client, f"[emulator:{fault}]")
    transfer = await _download(client, result.url, tmp_path / "v.part")

    first, second = transfer.requests
    assert first.status == 200 and first.error is not None and 0 < first.received < result.size
    # The resume asks for exactly the bytes that never arrived: nothing is fetched twice.
    assert second.status == 206 and second.range_start == first.received
    assert first.received + second.received == result.size
    assert transfer.sha256 == reference_sha256


async def test_truncated_body_through_the_store_ends_cached_and_intact(
    store: MediaStore,
    client: httpx.AsyncClient,
    emulator: RunningEmulator,
    reference_sha256: str,
    media_dir: Path,
) -> None:
    result = await render_on_emulator(emulator, client, "[emulator:truncated_download]")
    info = await store.fetch_result(result.url, expected_size=result.size)
    path = await store.path_for(info.sha256)
    assert path is not None and hashlib.sha256(path.read_bytes()).hexdigest() == reference_sha256
    await store.aclose()  # posters are written in the background
    assert files_under(media_dir / "tmp") == []


@pytest.mark.parametrize("size_known", [True, False], ids=["size-known", "size-unknown"])
async def test_wrong_length_is_caught_and_fetched_again(
    client: httpx.AsyncClient,
    emulator: RunningEmulator,
    reference_sha256: str,
    tmp_path: Path,
    size_known: bool,
) -> None:
    # A shorter Content-Length with a matching body is valid HTTP: only the provider's
    # reported size, or the probe finding the file cut off, can tell.
    result = await render_on_emulator(emulator, client, "[emulator:wrong_length]")
    transfer = await _download(
        client,
        result.url,
        tmp_path / "v.part",
        expected_size=result.size if size_known else None,
    )
    first, second = transfer.requests
    assert first.received < result.size and first.error is not None
    assert ("expected" in first.error) if size_known else ("cut off" in first.error)
    assert second.range_start == 0 and second.received == result.size
    assert transfer.sha256 == reference_sha256


async def test_persistent_wrong_length_fails_and_caches_nothing(
    store: MediaStore,
    client: httpx.AsyncClient,
    emulator: RunningEmulator,
    media_dir: Path,
) -> None:
    result = await render_on_emulator(emulator, client, "[emulator:wrong_length?times=inf]")
    with pytest.raises(ReelcraftError) as err:
        await store.fetch_result(result.url, expected_size=result.size)
    assert err.value.code is ErrorCode.DOWNLOAD_FAILED
    assert err.value.detail["reason"] == "incomplete"
    assert err.value.detail["attempts"] == 3
    assert await store.cached_bytes() == 0
    _assert_nothing_cached(media_dir)


async def test_corrupt_bytes_once_are_discarded_and_fetched_again(
    store: MediaStore,
    client: httpx.AsyncClient,
    emulator: RunningEmulator,
    reference_sha256: str,
) -> None:
    result = await render_on_emulator(emulator, client, "[emulator:corrupt_download]")
    info = await store.fetch_result(result.url, expected_size=result.size)
    assert info.sha256 == reference_sha256
    path = await store.path_for(info.sha256)
    assert path is not None and hashlib.sha256(path.read_bytes()).hexdigest() == reference_sha256


async def test_persistently_corrupt_file_is_never_served(
    store: MediaStore,
    client: httpx.AsyncClient,
    emulator: RunningEmulator,
    media_dir: Path,
) -> None:
    result = await render_on_emulator(emulator, client, "[emulator:corrupt_download?times=inf]")
    with pytest.raises(ReelcraftError) as err:
        await store.fetch_result(result.url, expected_size=result.size)
    assert err.value.code is ErrorCode.DOWNLOAD_FAILED
    assert err.value.detail["reason"] == "unplayable"
    assert "does not play" in err.value.message
    _assert_nothing_cached(media_dir)


async def test_expired_url_fails_at_once_as_expired(
    store: MediaStore,
    client: httpx.AsyncClient,
    emulator: RunningEmulator,
    media_dir: Path,
) -> None:
    result = await render_on_emulator(emulator, client, "[emulator:expired_url]")
    started = time.monotonic()
    with pytest.raises(ReelcraftError) as err:
        await store.fetch_result(result.url)
    assert err.value.code is ErrorCode.DOWNLOAD_FAILED
    # fal's storage answers 404, the others 403 (AccessDenied, "Request has expired").
    assert err.value.detail == {"reason": "expired", "attempts": 1, "status": 404}
    assert time.monotonic() - started < 1.0  # no retries of a verdict
    _assert_nothing_cached(media_dir)


async def test_slow_trickle_that_keeps_going_completes(
    client: httpx.AsyncClient,
    emulator: RunningEmulator,
    reference_sha256: str,
    tmp_path: Path,
) -> None:
    result = await render_on_emulator(
        emulator, client, "[emulator:slow_download?bytes_per_s=200000]"
    )
    progress: list[tuple[int, int | None]] = []
    transfer = await _download(
        client, result.url, tmp_path / "v.part", on_progress=lambda r, t: progress.append((r, t))
    )
    assert len(transfer.requests) == 1
    assert transfer.elapsed_s > 0.3  # it really trickled
    assert transfer.sha256 == reference_sha256
    assert progress[-1] == (result.size, result.size) and len(progress) >= 3


async def test_stalled_trickle_is_abandoned_and_resumed(
    client: httpx.AsyncClient,
    emulator: RunningEmulator,
    reference_sha256: str,
    tmp_path: Path,
) -> None:
    result = await render_on_emulator(emulator, client, "[emulator:slow_download?bytes_per_s=8000]")
    policy = replace(FAST, min_rate_bytes_per_s=50_000, min_rate_window_s=0.3)
    transfer = await _download(client, result.url, tmp_path / "v.part", policy=policy)
    first, second = transfer.requests
    assert first.error is not None and "stalled" in first.error and first.received > 0
    assert second.range_start == first.received and second.status == 206
    assert transfer.sha256 == reference_sha256


async def test_endless_trickle_gives_up_after_three_attempts(
    store: MediaStore,
    client: httpx.AsyncClient,
    emulator: RunningEmulator,
    media_dir: Path,
) -> None:
    result = await render_on_emulator(
        emulator, client, "[emulator:slow_download?bytes_per_s=8000&times=inf]"
    )
    store.policy = replace(FAST, min_rate_bytes_per_s=50_000, min_rate_window_s=0.3)
    started = time.monotonic()
    with pytest.raises(ReelcraftError) as err:
        await store.fetch_result(result.url)
    assert err.value.detail["reason"] == "network" and err.value.detail["attempts"] == 3
    assert "stalled" in err.value.message
    assert time.monotonic() - started < 3.0
    _assert_nothing_cached(media_dir)


async def test_server_errors_and_rate_limits_are_retried_with_backoff(
    client: httpx.AsyncClient,
    emulator: RunningEmulator,
    reference_sha256: str,
    tmp_path: Path,
) -> None:
    result = await render_on_emulator(
        emulator, client, "[emulator:rate_limited?on=download&retry_after=0.3]"
    )
    started = time.monotonic()
    transfer = await _download(client, result.url, tmp_path / "v.part")
    assert [r.status for r in transfer.requests] == [429, 200]
    assert time.monotonic() - started >= 0.3  # Retry-After was honoured
    assert transfer.sha256 == reference_sha256

    result = await render_on_emulator(
        emulator, client, "[emulator:server_error?on=download&times=5]"
    )
    with pytest.raises(DownloadError) as err:
        await _download(client, result.url, tmp_path / "w.part")
    assert err.value.reason == "network" and err.value.attempts == 3 and err.value.status == 503
    assert not (tmp_path / "w.part").exists()


async def test_cancelled_download_leaves_nothing_behind(
    store: MediaStore,
    client: httpx.AsyncClient,
    emulator: RunningEmulator,
    media_dir: Path,
) -> None:
    """The user cancels while the video downloads: no partial file, no row, no leak."""
    result = await render_on_emulator(
        emulator, client, "[emulator:slow_download?bytes_per_s=20000]"
    )
    fetch = asyncio.create_task(store.fetch_result(result.url))
    for _ in range(200):
        await asyncio.sleep(0.01)
        if files_under(media_dir / "tmp"):
            break
    assert files_under(media_dir / "tmp"), "the download should be under way"
    fetch.cancel()
    with pytest.raises(asyncio.CancelledError):
        await fetch
    _assert_nothing_cached(media_dir)
    assert await store.cached_bytes() == 0
