"""Every adapter against the real emulator over real HTTP: success, each fault, cancel and
bad credentials, each ending in the normalised status and ErrorCode a user would see."""

from __future__ import annotations

import asyncio
import io
import secrets

import av
import httpx
import pytest

from service.providers.base import ProviderError
from service.providers.http import create_http_client
from service.providers.registry import AdapterRegistry
from shared.errors import ErrorCode
from shared.states import ProviderStatus
from tests.service.providers.cases import ADAPTERS, CANCELLABLE, ROUTES, request_for, run_to_end
from tests.support.emulator import RunningEmulator

pytestmark = pytest.mark.parametrize("name", ADAPTERS)


def unique(text: str) -> str:
    """Marker counters are per prompt text: keep every test's prompt distinct."""
    return f"{text} #{secrets.token_hex(4)}"


async def test_success_downloads_a_playable_video(
    name: str, registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    adapter = registry.adapter(name)
    req = request_for(name, unique("a knight turns to the camera"), character_png, image_url)
    handle = await adapter.submit(req)
    # The handle is what the job runner persists: it must survive a JSON round trip.
    handle = type(handle).model_validate_json(handle.model_dump_json())
    final, _ = await run_to_end(adapter, handle)
    assert final.status is ProviderStatus.SUCCEEDED, final
    assert final.error_code is None

    result = await adapter.result(handle)
    async with httpx.AsyncClient() as client:
        resp = await client.get(result.video_url, headers=result.auth_headers())
    assert resp.status_code == 200
    assert result.size_bytes in (None, len(resp.content))
    _, _, duration, _, audio = ROUTES[name]
    with av.open(io.BytesIO(resp.content)) as container:
        video = container.streams.video[0]
        assert (video.width, video.height) == (1280, 720)
        assert video.frames == duration * 30
        assert bool(container.streams.audio) is audio
    # Download headers (Gemini's key) never leak into what gets stored.
    assert "download_headers" not in result.model_dump()
    assert registry.adapter(name).endpoint.key.get_secret_value() not in repr(result)


async def test_rate_limit_at_submit_says_when_to_retry(
    name: str, registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    adapter = registry.adapter(name)
    req = request_for(
        name, unique("[emulator:rate_limited?retry_after=3] hello"), character_png, image_url
    )
    with pytest.raises(ProviderError) as info:
        await adapter.submit(req)
    err = info.value
    assert err.code is ErrorCode.PROVIDER_RATE_LIMITED
    assert err.transient and not err.outcome_unknown
    assert err.retry_after_s == 3
    # The fault fires once per prompt: the retry the runner makes gets through.
    handle = await adapter.submit(req)
    assert handle.task_id


async def test_burst_of_server_errors_while_polling_is_transient(
    name: str, registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    adapter = registry.adapter(name)
    prompt = unique(
        "[emulator:server_error?on=status&times=2&status=502] [emulator:render_failure]"
    )
    handle = await adapter.submit(request_for(name, prompt, character_png, image_url))
    for _ in range(2):
        with pytest.raises(ProviderError) as info:
            await adapter.poll(handle)
        assert info.value.code is ErrorCode.PROVIDER_ERROR
        assert info.value.transient
    final, _ = await run_to_end(adapter, handle)
    assert final.status is ProviderStatus.FAILED
    assert final.error_code is ErrorCode.PROVIDER_ERROR


async def test_hanging_submit_times_out_with_unknown_outcome(
    name: str, registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    adapter = registry.adapter(name)
    with pytest.raises(ProviderError) as info:
        await adapter.submit(request_for(name, unique("[emulator:hang]"), character_png, image_url))
    assert info.value.code is ErrorCode.PROVIDER_TIMEOUT
    assert info.value.transient
    # The request reached the provider: re-sending it blindly could render (and bill) twice.
    assert info.value.outcome_unknown


async def test_malformed_json_at_submit_leaves_outcome_unknown(
    name: str, registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    adapter = registry.adapter(name)
    with pytest.raises(ProviderError) as info:
        await adapter.submit(
            request_for(name, unique("[emulator:malformed_json]"), character_png, image_url)
        )
    assert info.value.code is ErrorCode.PROVIDER_ERROR
    assert info.value.outcome_unknown


async def test_malformed_json_while_polling_is_transient(
    name: str, registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    adapter = registry.adapter(name)
    prompt = unique("[emulator:malformed_json?on=status] [emulator:render_failure]")
    handle = await adapter.submit(request_for(name, prompt, character_png, image_url))
    with pytest.raises(ProviderError) as info:
        await adapter.poll(handle)
    assert info.value.transient and not info.value.outcome_unknown
    final, _ = await run_to_end(adapter, handle)
    assert final.status is ProviderStatus.FAILED


async def test_content_policy_at_submit(
    name: str, registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    adapter = registry.adapter(name)
    with pytest.raises(ProviderError) as info:
        await adapter.submit(
            request_for(
                name, unique("[emulator:content_policy_at_submit]"), character_png, image_url
            )
        )
    assert info.value.code is ErrorCode.CONTENT_POLICY
    assert not info.value.transient


async def test_content_policy_at_result(
    name: str, registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    adapter = registry.adapter(name)
    handle = await adapter.submit(
        request_for(name, unique("[emulator:content_policy_at_result]"), character_png, image_url)
    )
    final, _ = await run_to_end(adapter, handle)
    assert final.status is ProviderStatus.FAILED
    assert final.error_code is ErrorCode.CONTENT_POLICY
    assert final.error_message


async def test_render_failure(
    name: str, registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    adapter = registry.adapter(name)
    handle = await adapter.submit(
        request_for(name, unique("[emulator:render_failure]"), character_png, image_url)
    )
    final, _ = await run_to_end(adapter, handle)
    assert final.status is ProviderStatus.FAILED
    assert final.error_code is ErrorCode.PROVIDER_ERROR
    with pytest.raises(ProviderError):
        await adapter.result(handle)


async def test_provider_side_cancellation(
    name: str, registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    adapter = registry.adapter(name)
    handle = await adapter.submit(
        request_for(name, unique("[emulator:cancelled]"), character_png, image_url)
    )
    final, _ = await run_to_end(adapter, handle)
    if name in ("fal", "gemini", "runway"):  # protocols with a cancelled state
        assert final.status is ProviderStatus.CANCELLED
    else:
        assert final.status is ProviderStatus.FAILED
        assert final.error_code is ErrorCode.PROVIDER_ERROR


async def test_user_cancel(
    name: str, registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    adapter = registry.adapter(name)
    prompt = unique("[emulator:timing?queue_s=5&render_s=5]")
    handle = await adapter.submit(request_for(name, prompt, character_png, image_url))
    accepted = await adapter.cancel(handle)
    assert accepted is (name in CANCELLABLE) is adapter.supports_cancel
    update = await adapter.poll(handle)
    if accepted:
        assert update.status is ProviderStatus.CANCELLED
    else:  # no cancel API: the task keeps going and the runner simply stops polling
        assert not update.terminal


async def test_stuck_task_keeps_running(
    name: str, registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    adapter = registry.adapter(name)
    handle = await adapter.submit(
        request_for(name, unique("[emulator:stuck]"), character_png, image_url)
    )
    await asyncio.sleep(0.4)  # well past queue_s + render_s
    update = await adapter.poll(handle)
    # Only the runner's hard timeout ends this; the adapter must not invent an outcome.
    assert update.status is ProviderStatus.RUNNING


async def test_bad_credentials(
    name: str, emulator: RunningEmulator, character_png: bytes, image_url: str
) -> None:
    async with create_http_client() as client:
        wrong = AdapterRegistry.demo(client, emulator.base_url, "not-the-key-" + "x" * 8)
        with pytest.raises(ProviderError) as info:
            await wrong.adapter(name).submit(
                request_for(name, unique("hello"), character_png, image_url)
            )
    assert info.value.auth_failed
    assert info.value.code is ErrorCode.PROVIDER_ERROR
    assert not info.value.transient


async def test_expired_result_url_is_refused(
    name: str, registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    adapter = registry.adapter(name)
    handle = await adapter.submit(
        request_for(name, unique("[emulator:expired_url]"), character_png, image_url)
    )
    final, _ = await run_to_end(adapter, handle)
    assert final.status is ProviderStatus.SUCCEEDED
    result = await adapter.result(handle)
    async with httpx.AsyncClient() as client:
        resp = await client.get(result.video_url, headers=result.auth_headers())
    assert resp.status_code == (404 if name in ("fal", "gemini") else 403)
