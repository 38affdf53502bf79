"""What every emulated provider shares: error dialects, HTTP faults, input images, output specs.

Each provider module supplies a `Dialect` (how that provider spells 401, 429, 5xx, a bad
request and a policy refusal); the helpers here decide *when* to answer with one.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import math
import time
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

import httpx
from fastapi import Request
from fastapi.responses import Response

from service.providers.emulator.faults import (
    HTTP_FAULTS,
    Fault,
    FaultKind,
    Phase,
    markers_in,
    take_first,
)
from service.providers.emulator.files import request_faults
from service.providers.emulator.render import (
    RenderError,
    RenderSpec,
    frame_size,
    image_size,
    nearest_aspect,
)
from shared.catalogue import shipped_catalogue
from shared.catalogue.schema import Route

if TYPE_CHECKING:
    from service.providers.emulator.core import EmulatorState, Task

MAX_IMAGE_BYTES = 20 * 1024 * 1024
log = logging.getLogger("service.providers.emulator")


class ErrorKind(StrEnum):
    UNAUTHORIZED = "unauthorized"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    INVALID_INPUT = "invalid_input"
    CONTENT_POLICY = "content_policy"
    NOT_FOUND = "not_found"


class Dialect(Protocol):
    provider: str

    def error(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> Response: ...


class InputError(ValueError):
    """The request cannot be served: bad image, unknown model, value out of range."""


async def hang(state: EmulatorState, request: Request, fault: Fault) -> None:
    """Withhold the answer until `seconds` pass, the client leaves or the emulator stops."""
    limit = fault.param("seconds", state.config.max_hang_s)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and not state.shutting_down.is_set():
        if await request.is_disconnected():
            return
        await asyncio.sleep(0.05)


def malformed() -> Response:
    return Response(
        b'{"status": "IN_PROGRESS", "request_id": ', status_code=200, media_type="application/json"
    )


async def http_fault(
    state: EmulatorState,
    dialect: Dialect,
    request: Request,
    phase: Phase,
    *,
    task: Task | None = None,
    prompt: str | None = None,
) -> Response | None:
    """The faulty answer for this request, or None to answer normally.

    Sources, first match wins: the request's X-Emulator-Fault header; at submit, markers in
    the prompt; afterwards the task's own markers; then global faults.
    """
    fault = take_first(request_faults(request), phase, HTTP_FAULTS)
    if fault is None and prompt is not None:
        fault = state.submit_marker_fault(dialect.provider, prompt, HTTP_FAULTS)
    if fault is None and task is not None:
        fault = take_first(task.faults, phase, HTTP_FAULTS)
    if fault is None:
        fault = state.faults.take_global(dialect.provider, phase, HTTP_FAULTS)
    if fault is None:
        return None
    log.info("emulator: %s fault on %s %s", fault.kind.value, dialect.provider, phase.value)
    if fault.kind is FaultKind.RATE_LIMITED:
        retry = fault.param("retry_after", 1)
        return dialect.error(
            ErrorKind.RATE_LIMITED, "Rate limit exceeded, slow down.", retry_after=retry
        )
    if fault.kind is FaultKind.SERVER_ERROR:
        return dialect.error(
            ErrorKind.SERVER_ERROR,
            "The service is temporarily unavailable.",
            status=int(fault.param("status", 503)),
        )
    if fault.kind is FaultKind.HANG:
        await hang(state, request, fault)
        if "seconds" in fault.params:
            return None  # a slow answer, not a lost one
        return dialect.error(ErrorKind.SERVER_ERROR, "upstream timed out", status=504)
    return malformed()


def policy_at_submit(state: EmulatorState, provider: str, prompt: str) -> bool:
    """Whether this submit is refused for content policy (marker or global fault)."""
    kinds = frozenset({FaultKind.CONTENT_POLICY_AT_SUBMIT})
    if state.submit_marker_fault(provider, prompt, kinds) is not None:
        return True
    return state.faults.take_global(provider, Phase.SUBMIT, kinds) is not None


def wants(prompt: str, kind: FaultKind) -> bool:
    return any(f.kind is kind for f in markers_in(prompt))


async def read_json(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise InputError("request body must be a JSON object")
    return body


async def load_image(state: EmulatorState, ref: object) -> bytes:
    """Fetch an input image the way a provider would: URL, data URL or bare base64."""
    if not isinstance(ref, str) or not ref:
        raise InputError("an input image is required")
    if ref.startswith(("http://", "https://")):
        try:
            async with httpx.AsyncClient(timeout=10.0, follow_redirects=True) as client:
                resp = await client.get(ref)
        except httpx.HTTPError as exc:
            raise InputError(f"could not download the image: {type(exc).__name__}") from exc
        if resp.status_code != 200:
            raise InputError(f"could not download the image: HTTP {resp.status_code}")
        data = resp.content
    else:
        if ref.startswith("data:"):
            header, _, ref = ref.partition(",")
            if ";base64" not in header:
                raise InputError("data URLs must be base64-encoded")
        try:
            data = base64.b64decode(ref, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InputError("image is neither a URL nor valid base64") from exc
    if len(data) > MAX_IMAGE_BYTES:
        raise InputError("image is larger than 20 MB")
    try:
        image_size(data)
    except RenderError as exc:
        raise InputError(str(exc)) from exc
    return data


@lru_cache(maxsize=1)
def _routes() -> dict[tuple[str, str], Route]:
    out: dict[tuple[str, str], Route] = {}
    for model in shipped_catalogue().models.values():
        for route in model.routes:
            out.setdefault((route.adapter, route.provider_model), route)
    return out


def known_route(adapter: str, provider_model: str) -> Route | None:
    """The catalogue's route for this provider model: what the emulator agrees to render."""
    return _routes().get((adapter, provider_model))


def output_spec(
    image: bytes,
    *,
    duration_s: float,
    resolution: str | None,
    aspect_ratio: str | None,
    audio: bool,
    route: Route | None = None,
) -> RenderSpec:
    """Pixel size from the request, falling back to the route's only resolution and the
    input image's own shape, as image-to-video providers do."""
    if resolution is None:
        resolution = route.resolutions[-1] if route is not None else "720p"
    if aspect_ratio is None:
        aspect_ratio = nearest_aspect(*image_size(image))
    try:
        width, height = frame_size(resolution, aspect_ratio)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    return RenderSpec(duration_s=float(duration_s), width=width, height=height, audio=audio)


def iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch % 1 * 1000):03d}Z"


def retry_after_header(seconds: float | None) -> dict[str, str]:
    if seconds is None:
        return {}
    # Retry-After carries whole seconds; round up so a client never retries early.
    return {"Retry-After": str(max(0, math.ceil(seconds)))}
