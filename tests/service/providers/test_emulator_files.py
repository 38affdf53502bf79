"""The emulator's result files as a downloader meets them: Range requests, expiry, and every
download fault (slow, truncated, dropped, wrong length, corrupt)."""

from __future__ import annotations

import hashlib
import io
import secrets
import time
from collections.abc import AsyncIterator

import av
import httpx
import pytest

from service.providers.registry import AdapterRegistry
from shared.states import ProviderStatus
from tests.service.providers.cases import request_for, run_to_end


@pytest.fixture
async def video_url(
    registry: AdapterRegistry, character_png: bytes, image_url: str
) -> AsyncIterator[str]:
    """A fresh Runway result URL (so per-task faults start unspent)."""
    adapter = registry.adapter("runway")
    handle = await adapter.submit(
        request_for("runway", f"files {secrets.token_hex(4)}", character_png, image_url)
    )
    final, _ = await run_to_end(adapter, handle)
    assert final.status is ProviderStatus.SUCCEEDED
    yield (await adapter.result(handle)).video_url


async def fetch(url: str, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(url, headers=headers)


async def test_range_requests(video_url: str) -> None:
    whole = await fetch(video_url)
    size = len(whole.content)
    assert whole.headers["accept-ranges"] == "bytes"
    part = await fetch(video_url, Range="bytes=100-1099")
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-1099/{size}"
    assert part.content == whole.content[100:1100]
    tail = await fetch(video_url, Range="bytes=-500")
    assert tail.content == whole.content[-500:]
    beyond = await fetch(video_url, Range=f"bytes={size}-")
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{size}"
    # A resume against a changed file must restart: If-Range with a stale ETag gets it all.
    stale = await fetch(video_url, Range="bytes=10-", **{"If-Range": '"old"'})
    assert stale.status_code == 200 and len(stale.content) == size


async def test_tampered_url_is_refused_like_expired_storage(video_url: str) -> None:
    resp = await fetch(video_url.replace("Signature=", "Signature=f"))
    assert resp.status_code == 403
    assert "AccessDenied" in resp.text


async def test_truncated_download_then_range_resume(video_url: str) -> None:
    full = (await fetch(video_url)).content
    received = bytearray()
    with pytest.raises(httpx.RemoteProtocolError):
        async with (
            httpx.AsyncClient() as client,
            client.stream(
                "GET", video_url, headers={"X-Emulator-Fault": "truncated_download"}
            ) as resp,
        ):
            assert resp.headers["content-length"] == str(len(full))
            async for chunk in resp.aiter_raw():
                received += chunk
    assert 0 < len(received) < len(full)
    rest = await fetch(video_url, Range=f"bytes={len(received)}-")
    assert bytes(received) + rest.content == full


async def test_dropped_connection_mid_file(video_url: str) -> None:
    with pytest.raises(httpx.TransportError):
        await fetch(video_url, **{"X-Emulator-Fault": "dropped_download"})


async def test_wrong_content_length_gives_a_short_file(video_url: str) -> None:
    full = (await fetch(video_url)).content
    short = await fetch(video_url, **{"X-Emulator-Fault": "wrong_length"})
    assert short.status_code == 200
    assert int(short.headers["content-length"]) == len(short.content) < len(full)


async def test_corrupt_bytes_keep_the_length_but_not_the_video(video_url: str) -> None:
    full = (await fetch(video_url)).content
    bad = (await fetch(video_url, **{"X-Emulator-Fault": "corrupt_download"})).content
    assert len(bad) == len(full)
    assert hashlib.sha256(bad).digest() != hashlib.sha256(full).digest()
    assert decodable_frames(full) > 0
    assert decodable_frames(bad) == 0


def decodable_frames(data: bytes) -> int:
    """Frames a player would show; 0 if the file is not a readable video."""
    try:
        with av.open(io.BytesIO(data)) as container:
            if not container.streams.video:
                return 0
            return sum(1 for _ in container.decode(video=0))
    except av.error.FFmpegError:
        return 0


async def test_slow_download_trickles(video_url: str) -> None:
    full = (await fetch(video_url)).content
    rate = len(full) * 2  # about half a second for the whole file
    started = time.monotonic()
    slow = await fetch(video_url, **{"X-Emulator-Fault": f"slow_download?bytes_per_s={rate}"})
    assert slow.content == full
    assert time.monotonic() - started >= 0.4


async def test_download_fault_from_a_prompt_marker_fires_once(
    registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    """The end-to-end path the media cache sees: the marker rides the prompt through the
    adapter; the first download breaks and the retry succeeds."""
    adapter = registry.adapter("kling")
    prompt = f"[emulator:truncated_download] {secrets.token_hex(4)}"
    handle = await adapter.submit(request_for("kling", prompt, character_png, image_url))
    await run_to_end(adapter, handle)
    url = (await adapter.result(handle)).video_url
    with pytest.raises(httpx.RemoteProtocolError):
        await fetch(url)
    assert (await fetch(url)).status_code == 200


async def test_runway_refetch_gives_a_fresh_url_after_expiry(
    registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    adapter = registry.adapter("runway")
    prompt = f"[emulator:expired_url?times=1] {secrets.token_hex(4)}"
    handle = await adapter.submit(request_for("runway", prompt, character_png, image_url))
    await run_to_end(adapter, handle)  # the SUCCEEDED poll hands out the expired URL
    expired = await adapter.result(handle)  # Runway re-signs on every fetch of the task
    assert (await fetch(expired.video_url)).status_code == 200


async def test_gemini_download_needs_the_key(
    registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    adapter = registry.adapter("gemini")
    handle = await adapter.submit(
        request_for("gemini", f"key {secrets.token_hex(3)}", character_png, image_url)
    )
    await run_to_end(adapter, handle)
    result = await adapter.result(handle)
    assert "key=" not in result.video_url
    assert (await fetch(result.video_url)).status_code == 403
    ok = await fetch(result.video_url, **result.auth_headers())
    assert ok.status_code == 200 and ok.headers["content-type"] == "video/mp4"
