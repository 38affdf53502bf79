"""From an adapter's result to a cached video: Gemini's downloads need the API key, which
comes from the adapter, is sent with every request, and is never stored."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr

from service.media import MediaStore
from service.providers.base import EndpointConfig, InputImage, SubmitRequest
from service.providers.gemini import GeminiAdapter
from service.storage.base import utcnow
from service.storage.tables.media import MediaRow
from shared.catalogue.loader import shipped_catalogue
from shared.errors import ErrorCode, ReelcraftError
from shared.media_schemas import MediaStatus
from shared.states import ProviderStatus
from tests.service.media.conftest import SAMPLE_IMAGE
from tests.support.emulator import RunningEmulator


async def _veo_on_gemini(emulator: RunningEmulator, client: httpx.AsyncClient) -> GeminiAdapter:
    return GeminiAdapter(
        client, EndpointConfig(base_url=emulator.base_url, key=SecretStr(emulator.key))
    )


async def test_gemini_result_downloads_with_the_adapters_key(
    store: MediaStore,
    client: httpx.AsyncClient,
    emulator: RunningEmulator,
    reference_sha256: str,
) -> None:
    adapter = await _veo_on_gemini(emulator, client)
    route = next(r for r in shipped_catalogue().model("veo-3.1").routes if r.name == "gemini")
    handle = await adapter.submit(
        SubmitRequest(
            route=route,
            prompt="a slow turn",
            duration_s=4,
            resolution="720p",
            aspect_ratio="16:9",
            image=InputImage(data=SAMPLE_IMAGE.read_bytes()),
        )
    )
    for _ in range(500):
        if (await adapter.poll(handle)).status is ProviderStatus.SUCCEEDED:
            break
        await asyncio.sleep(0.02)
    result = await adapter.result(handle)
    assert result.auth_headers(), "Gemini's adapter must hand over its download key"

    # Without the key the provider refuses: a clear failure, not "expired", no retries.
    with pytest.raises(ReelcraftError) as err:
        await store.fetch_result(result.video_url, source_expires_at=result.expires_at)
    assert err.value.code is ErrorCode.DOWNLOAD_FAILED
    assert err.value.detail["reason"] == "unauthorized" and err.value.detail["attempts"] == 1

    info = await store.fetch_result(
        result.video_url,
        headers=result.auth_headers(),
        expected_size=result.size_bytes,
        source_expires_at=result.expires_at,
    )
    # Same image and settings as the fal render: the emulator renders once, same bytes.
    assert info.sha256 == reference_sha256 and info.has_audio
    assert info.source_expires_at is not None and info.source_expires_at > utcnow()
    async with store.rows.sessions() as s:
        row = await s.get(MediaRow, info.sha256)
    assert row is not None and row.source_url == result.video_url
    assert emulator.key not in repr(row.__dict__)

    # Evicted, then played again: the adapter's key comes from the lookup the service wires.
    await store.aclose()
    store.eviction_grace, store.budget_bytes = timedelta(0), 0
    assert info.sha256 in (await store.evict_to_budget()).evicted
    store.budget_bytes = 1 << 30
    store.download_headers = lambda url: result.auth_headers()
    path = await store.ensure_available(info.sha256)
    assert path.stat().st_size == info.size_bytes
    assert (await store.info(info.sha256)).status is MediaStatus.CACHED  # type: ignore[union-attr]
