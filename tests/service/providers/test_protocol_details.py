"""Per-provider protocol details: every catalogue route's request shape, fal's status stream,
Pollo's two envelopes, Kling's JWT and external ids, Runway's version header and THROTTLED,
and how input images travel."""

from __future__ import annotations

import io
import secrets
import time
from pathlib import Path

import av
import httpx
import pytest

from service.providers.base import InputImage, ProviderError, SubmitRequest
from service.providers.jwt import kling_token
from service.providers.registry import AdapterRegistry
from shared.catalogue import shipped_catalogue
from shared.errors import ErrorCode
from shared.states import ProviderStatus
from tests.service.providers.cases import request_for, run_to_end
from tests.support.emulator import RunningEmulator

ALL_ROUTES = [
    (model.id, route.name)
    for model in shipped_catalogue().models.values()
    for route in model.routes
]


@pytest.mark.parametrize(("model_id", "route_name"), ALL_ROUTES)
async def test_every_catalogue_route_is_accepted(
    model_id: str, route_name: str, registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    """The adapter's field mapping for each route passes the emulator's validation (names,
    types, allowed durations) and the task is tracked to its end."""
    model = shipped_catalogue().model(model_id)
    route = model.route(route_name)
    resolution = route.resolutions[0]
    duration = (route.resolution_durations.get(resolution) or route.durations)[0]
    req = SubmitRequest(
        route=route,
        prompt=f"route check [emulator:render_failure] {secrets.token_hex(3)}",
        negative_prompt="blur" if model.takes_negative_prompt else None,
        duration_s=duration,
        resolution=resolution,
        aspect_ratio=model.aspect_ratios[0],
        audio=model.audio,
        seed=7 if model.takes_seed else None,
        image=InputImage(data=character_png, public_url=image_url),
    )
    adapter = registry.for_route(route)
    handle = await adapter.submit(req)
    final, _ = await run_to_end(adapter, handle)
    assert final.status is ProviderStatus.FAILED
    assert final.error_code is ErrorCode.PROVIDER_ERROR


async def test_duration_a_route_does_not_offer_is_invalid_input(
    registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    req = request_for("kling", "hello", character_png, image_url, duration_s=7)
    with pytest.raises(ProviderError) as info:
        await registry.adapter("kling").submit(req)
    assert info.value.code is ErrorCode.INVALID_INPUT
    assert not info.value.transient


async def test_fal_status_stream_reaches_completion(
    registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    adapter = registry.adapter("fal")
    handle = await adapter.submit(
        request_for(
            "fal",
            f"stream [emulator:timing?queue_s=0.2&render_s=0.3] {secrets.token_hex(3)}",
            character_png,
            image_url,
        )
    )
    statuses = [u.status async for u in adapter.stream(handle)]
    assert statuses[0] is ProviderStatus.QUEUED
    assert ProviderStatus.RUNNING in statuses
    assert statuses[-1] is ProviderStatus.SUCCEEDED


async def test_fal_cancel_after_completion_is_refused(
    registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    adapter = registry.adapter("fal")
    handle = await adapter.submit(
        request_for(
            "fal", f"[emulator:render_failure] {secrets.token_hex(3)}", character_png, image_url
        )
    )
    await run_to_end(adapter, handle)
    assert await adapter.cancel(handle) is False


async def test_pollo_bare_envelope_is_understood(
    registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    adapter = registry.adapter("pollo")
    prompt = f"[emulator:flat_envelope] {secrets.token_hex(3)}"
    handle = await adapter.submit(request_for("pollo", prompt, character_png, image_url))
    final, _ = await run_to_end(adapter, handle)
    assert final.status is ProviderStatus.SUCCEEDED
    assert (await adapter.result(handle)).video_url.startswith("http")


async def test_kie_and_pollo_need_a_public_image_url(
    registry: AdapterRegistry, character_png: bytes
) -> None:
    for name in ("kie", "pollo"):
        req = request_for(name, "hello", character_png, None)
        with pytest.raises(ProviderError) as info:
            await registry.adapter(name).submit(req)
        assert info.value.code is ErrorCode.INVALID_INPUT


async def test_kling_finds_a_submit_by_its_client_request_id(
    registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    adapter = registry.adapter("kling")
    request_id = f"gen-{secrets.token_hex(6)}"
    req = request_for(
        "kling",
        "[emulator:render_failure] hello",
        character_png,
        image_url,
        client_request_id=request_id,
    )
    handle = await adapter.submit(req)
    found = await adapter.lookup(req)
    assert found is not None and found.task_id == handle.task_id
    other = request_for("kling", "x", character_png, image_url, client_request_id="never-sent")
    assert await adapter.lookup(other) is None


async def test_kling_rejects_expired_and_foreign_tokens(emulator: RunningEmulator) -> None:
    url = f"{emulator.base_url}/v1/videos/image2video/1"
    cases = {
        kling_token(emulator.key, emulator.key, now=time.time() - 4000): 1004,
        kling_token(emulator.key, "some-other-secret"): 1002,
        kling_token("someone-else", emulator.key): 1002,
    }
    async with httpx.AsyncClient() as client:
        for token, code in cases.items():
            resp = await client.get(url, headers={"Authorization": f"Bearer {token}"})
            assert resp.status_code == 401
            assert resp.json()["code"] == code
        resp = await client.get(url)
        assert resp.json()["code"] == 1001


async def test_runway_requires_the_version_header(emulator: RunningEmulator) -> None:
    async with httpx.AsyncClient() as client:
        resp = await client.get(
            f"{emulator.base_url}/v1/tasks/x", headers={"Authorization": f"Bearer {emulator.key}"}
        )
    assert resp.status_code == 400
    assert "X-Runway-Version" in resp.json()["error"]


async def test_runway_reports_throttled_tasks_as_queued(
    registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    adapter = registry.adapter("runway")
    slow = "[emulator:timing?queue_s=3&render_s=1] [emulator:render_failure]"
    first = await adapter.submit(request_for("runway", f"{slow} a", character_png, image_url))
    second = await adapter.submit(request_for("runway", f"{slow} b", character_png, image_url))
    update = await adapter.poll(second)
    assert update.status is ProviderStatus.QUEUED
    assert update.raw_status == "THROTTLED"
    for handle in (first, second):
        assert await adapter.cancel(handle)


async def test_runway_progress_is_reported_in_percent(
    registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    adapter = registry.adapter("runway")
    prompt = f"[emulator:timing?queue_s=0&render_s=2] [emulator:render_failure] {time.time()}"
    handle = await adapter.submit(request_for("runway", prompt, character_png, image_url))
    update = await adapter.poll(handle)
    assert update.status is ProviderStatus.RUNNING
    assert update.progress is not None and 0 <= update.progress < 100
    await adapter.cancel(handle)


async def test_global_fault_from_the_control_endpoint(character_png: bytes, image_url: str) -> None:
    from service.providers.http import create_http_client
    from tests.support.emulator import running_emulator

    with running_emulator() as emu:
        emu.inject("server_error?provider=kie&times=2")
        async with create_http_client() as client:
            registry = AdapterRegistry.demo(client, emu.base_url, emu.key)
            kie = registry.adapter("kie")
            for _ in range(2):
                with pytest.raises(ProviderError) as info:
                    await kie.submit(request_for("kie", "hello", character_png, image_url))
                assert info.value.transient
            # Scoped to Kie: Runway is untouched, and Kie recovers after the burst.
            await registry.adapter("runway").submit(
                request_for("runway", "hi", character_png, image_url)
            )
            await kie.submit(request_for("kie", "hello", character_png, image_url))


async def test_tasks_survive_an_emulator_restart(
    tmp_path: Path, character_png: bytes, image_url: str
) -> None:
    """Demo mode: the service restarts with its emulator, and the handles it persisted must
    still lead to the videos, at the URLs handed out before the restart."""
    from service.providers.http import create_http_client
    from tests.support.emulator import running_emulator

    state = tmp_path / "emulator-state"
    slow = "[emulator:timing?queue_s=0.3&render_s=0.3]"
    async with create_http_client() as client:
        with running_emulator(state_dir=state) as emu:
            key, port = emu.key, emu.port
            registry = AdapterRegistry.demo(client, emu.base_url, key)
            done = await registry.adapter("runway").submit(
                request_for("runway", f"before {secrets.token_hex(3)}", character_png, image_url)
            )
            await run_to_end(registry.adapter("runway"), done)
            url = (await registry.adapter("runway").result(done)).video_url
            pending = await registry.adapter("kling").submit(
                request_for(
                    "kling",
                    f"{slow} {secrets.token_hex(3)}",
                    character_png,
                    image_url,
                    client_request_id=f"gen-{secrets.token_hex(4)}",
                )
            )
            cancelled = await registry.adapter("fal").submit(
                request_for("fal", f"{slow} {secrets.token_hex(3)}", character_png, image_url)
            )
            assert await registry.adapter("fal").cancel(cancelled)
        with running_emulator(key=key, state_dir=state, port=port) as emu:
            registry = AdapterRegistry.demo(client, emu.base_url, key)
            assert (await client.get(url)).status_code == 200
            final, _ = await run_to_end(registry.adapter("kling"), pending)
            assert final.status is ProviderStatus.SUCCEEDED
            assert (
                await registry.adapter("fal").poll(cancelled)
            ).status is ProviderStatus.CANCELLED


async def test_render_failure_once_then_the_retry_renders(
    registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    """`times=1` on an outcome marker: the runner's automatic retry of the same prompt works."""
    adapter = registry.adapter("pollo")
    req = request_for(
        "pollo",
        f"[emulator:render_failure?times=1] {secrets.token_hex(3)}",
        character_png,
        image_url,
    )
    first, _ = await run_to_end(adapter, await adapter.submit(req))
    assert first.status is ProviderStatus.FAILED
    second, _ = await run_to_end(adapter, await adapter.submit(req))
    assert second.status is ProviderStatus.SUCCEEDED


async def test_a_task_the_provider_forgot_is_a_permanent_provider_error(
    registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    for name in ("fal", "kie", "gemini", "kling", "pollo", "runway"):
        adapter = registry.adapter(name)
        handle = await adapter.submit(
            request_for(
                name, f"[emulator:render_failure] {secrets.token_hex(3)}", character_png, image_url
            )
        )
        forgotten = handle.model_copy(
            update={
                "task_id": "0",
                "status_url": str(handle.status_url).replace(handle.task_id, "0"),
            }
        )
        with pytest.raises(ProviderError) as info:
            await adapter.poll(forgotten)
        assert info.value.code is ErrorCode.PROVIDER_ERROR, name
        assert not info.value.transient


async def test_fal_sora_renders_with_its_native_sound(
    registry: AdapterRegistry, character_png: bytes
) -> None:
    """Sora 2 has no audio switch on fal: its videos always carry sound (seed 000)."""
    route = shipped_catalogue().model("sora-2").route("fal")
    req = SubmitRequest(
        route=route,
        prompt=f"sora with sound #{secrets.token_hex(4)}",
        duration_s=4,
        resolution="720p",
        aspect_ratio="16:9",
        image=InputImage(data=character_png, mime_type="image/png"),
    )
    adapter = registry.adapter("fal")
    handle = await adapter.submit(req)
    final, _ = await run_to_end(adapter, handle)
    assert final.status is ProviderStatus.SUCCEEDED, final
    result = await adapter.result(handle)
    async with httpx.AsyncClient() as client:
        body = (await client.get(result.video_url)).content
    with av.open(io.BytesIO(body)) as container:
        assert container.streams.audio
