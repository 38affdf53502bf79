"""fal.ai queue API (providers.md section 1), at its real paths.

Submit goes to the full model id; status, result and cancel are addressed by `owner/app`
only. Status answers 202 until COMPLETED (200); a failed request is COMPLETED with `error`
and `error_type`, and its result GET returns the model's own error status. `queue_position`
and `logs` are always present because the official Python client indexes them.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from service.providers.emulator.core import EmulatorState, Failure, Snapshot, Task, TaskState
from service.providers.emulator.faults import Phase
from service.providers.emulator.protocol import (
    ErrorKind,
    InputError,
    http_fault,
    iso,
    known_route,
    load_image,
    output_spec,
    policy_at_submit,
    read_json,
    retry_after_header,
)

PROVIDER = "fal"
_POLICY_MSG = (
    "The content could not be processed because it contained material flagged by a content checker."
)


@dataclass(frozen=True)
class _Family:
    """How one family of fal endpoints names and types its inputs."""

    image_field: str
    duration_format: str  # "str": "5", "s": "8s", "int": 4 (a numeric string is accepted too)
    resolution_field: str | None = None
    aspect_field: str | None = None
    audio_field: str | None = None
    native_audio: bool = False  # audio with no switch for it (Sora 2 always has sound)


_FAMILIES: list[tuple[str, _Family]] = [
    ("fal-ai/kling-video/v2.6/", _Family("start_image_url", "str", audio_field="generate_audio")),
    ("fal-ai/kling-video/", _Family("image_url", "str")),
    ("fal-ai/veo3", _Family("image_url", "s", "resolution", "aspect_ratio", "generate_audio")),
    ("fal-ai/sora-2/", _Family("image_url", "int", "resolution", "aspect_ratio", None, True)),
    ("fal-ai/wan", _Family("image_url", "str", "resolution")),
]


def _family(model_id: str) -> _Family | None:
    return next((fam for prefix, fam in _FAMILIES if model_id.startswith(prefix)), None)


class FalDialect:
    provider = PROVIDER

    def error(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> Response:
        headers = retry_after_header(retry_after)
        if kind is ErrorKind.INVALID_INPUT or kind is ErrorKind.CONTENT_POLICY:
            policy = kind is ErrorKind.CONTENT_POLICY
            etype = "content_policy_violation" if policy else "value_error"
            loc = ["body", "prompt"] if policy else ["body"]
            body: dict[str, Any] = {"detail": [{"loc": loc, "msg": message, "type": etype}]}
            return JSONResponse(body, status_code=status or 422, headers=headers)
        codes = {
            ErrorKind.UNAUTHORIZED: (401, None),
            ErrorKind.RATE_LIMITED: (429, "rate_limited"),
            ErrorKind.NOT_FOUND: (404, None),
            ErrorKind.SERVER_ERROR: (503, "runner_scheduling_failure"),
        }
        code, etype_or_none = codes[kind]
        code = status or code
        if code == 504:
            etype_or_none = "request_timeout"
        body = {"detail": message}
        if etype_or_none:
            body["error_type"] = etype_or_none
            headers["X-Fal-Error-Type"] = etype_or_none
        return JSONResponse(body, status_code=code, headers=headers)


def _app_of(model_id: str) -> str:
    return "/".join(model_id.split("/")[:2])


def _urls(state: EmulatorState, task: Task) -> dict[str, str]:
    base = state.url(f"/{_app_of(task.model)}/requests/{task.id}")
    return {"response_url": base, "status_url": f"{base}/status", "cancel_url": f"{base}/cancel"}


_ERROR_TYPES = {
    Failure.CONTENT_POLICY: "content_policy_violation",
    Failure.RENDER: "internal_server_error",
}


def _logs(task: Task, snap: Snapshot) -> list[dict[str, str]]:
    lines = []
    if snap.state is not TaskState.QUEUED:
        lines.append(("Loading model weights", task.started_epoch))
        steps = int(snap.progress * 20)
        for step in range(1, steps + 1):
            lines.append((f"Denoising step {step}/20", task.started_epoch + step * 0.01))
    return [
        {"message": m, "level": "INFO", "source": "USER", "timestamp": iso(t)[:-1]}
        for m, t in lines
    ]


def status_body(state: EmulatorState, task: Task, with_logs: bool) -> tuple[int, dict[str, Any]]:
    snap = state.snapshot(task)
    urls = _urls(state, task)
    if snap.state is TaskState.QUEUED:
        return 202, {
            "status": "IN_QUEUE",
            "queue_position": snap.queue_position,
            "request_id": task.id,
            **urls,
            "logs": None,
        }
    logs = _logs(task, snap) if with_logs else None
    if snap.state is TaskState.RUNNING:
        return 202, {
            "status": "IN_PROGRESS",
            "request_id": task.id,
            **urls,
            "logs": logs,
            "metrics": {},
        }
    body: dict[str, Any] = {
        "status": "COMPLETED",
        "request_id": task.id,
        **urls,
        "logs": logs,
        "metrics": {"inference_time": task.render_s},
    }
    if snap.state is TaskState.CANCELLED:
        body |= {"error": "Request was cancelled", "error_type": "client_cancelled"}
    elif snap.state is TaskState.FAILED:
        assert snap.failure is not None
        body |= {"error": snap.message, "error_type": _ERROR_TYPES[snap.failure]}
    return 200, body


def create_router(state: EmulatorState) -> APIRouter:
    router = APIRouter()
    dialect = FalDialect()

    def auth_error(request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        if not header:
            return dialect.error(ErrorKind.UNAUTHORIZED, "Missing authorization header")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "key" or token.strip() != state.config.key:
            return dialect.error(ErrorKind.UNAUTHORIZED, "No user found for Key ID and Secret")
        return None

    def find(owner: str, app: str, request_id: str) -> Task | None:
        task = state.get(PROVIDER, request_id)
        if task is None or _app_of(task.model) != f"{owner}/{app}":
            return None
        return task

    @router.get("/{owner}/{app}/requests/{request_id}/status")
    async def status(owner: str, app: str, request_id: str, request: Request) -> Response:
        if (err := auth_error(request)) is not None:
            return err
        task = find(owner, app, request_id)
        if task is None:
            return dialect.error(ErrorKind.NOT_FOUND, "Request not found")
        if fault := await http_fault(state, dialect, request, Phase.STATUS, task=task):
            return fault
        with_logs = request.query_params.get("logs", "0").lower() in ("1", "true")
        code, body = status_body(state, task, with_logs)
        return JSONResponse(body, status_code=code, headers={"x-fal-request-id": task.id})

    @router.get("/{owner}/{app}/requests/{request_id}/status/stream")
    async def status_stream(owner: str, app: str, request_id: str, request: Request) -> Response:
        if (err := auth_error(request)) is not None:
            return err
        task = find(owner, app, request_id)
        if task is None:
            return dialect.error(ErrorKind.NOT_FOUND, "Request not found")
        if fault := await http_fault(state, dialect, request, Phase.STATUS, task=task):
            return fault
        with_logs = request.query_params.get("logs", "0").lower() in ("1", "true")

        async def events() -> AsyncIterator[bytes]:
            last: str | None = None
            last_sent = time.monotonic()
            while not state.shutting_down.is_set():
                code, body = status_body(state, task, with_logs)
                text = json.dumps(body)
                if text != last:
                    yield f"data: {text}\n\n".encode()
                    last, last_sent = text, time.monotonic()
                elif time.monotonic() - last_sent > 5:
                    yield b": ping\n\n"
                    last_sent = time.monotonic()
                if code == 200:
                    return
                await asyncio.sleep(0.1)

        return StreamingResponse(
            events(), media_type="text/event-stream", headers={"x-fal-request-id": task.id}
        )

    @router.put("/{owner}/{app}/requests/{request_id}/cancel")
    async def cancel(owner: str, app: str, request_id: str, request: Request) -> Response:
        if (err := auth_error(request)) is not None:
            return err
        task = find(owner, app, request_id)
        if task is None:
            return JSONResponse({"status": "NOT_FOUND"}, status_code=404)
        if fault := await http_fault(state, dialect, request, Phase.CANCEL, task=task):
            return fault
        if state.cancel(task):
            return JSONResponse({"status": "CANCELLATION_REQUESTED"}, status_code=202)
        return JSONResponse({"status": "ALREADY_COMPLETED"}, status_code=400)

    @router.get("/{owner}/{app}/requests/{request_id}")
    async def result(owner: str, app: str, request_id: str, request: Request) -> Response:
        if (err := auth_error(request)) is not None:
            return err
        task = find(owner, app, request_id)
        if task is None:
            return dialect.error(ErrorKind.NOT_FOUND, "Request not found")
        if fault := await http_fault(state, dialect, request, Phase.RESULT, task=task):
            return fault
        snap = state.snapshot(task)
        if not snap.state.terminal:
            return JSONResponse({"detail": "Request is still in progress"}, status_code=400)
        if snap.state is TaskState.CANCELLED:
            return JSONResponse(
                {"detail": "Request was cancelled", "error_type": "client_cancelled"},
                status_code=499,
                headers={"X-Fal-Error-Type": "client_cancelled"},
            )
        if snap.failure is Failure.CONTENT_POLICY:
            return dialect.error(ErrorKind.CONTENT_POLICY, _POLICY_MSG)
        if snap.state is TaskState.FAILED:
            return JSONResponse(
                {"detail": [{"loc": [], "msg": snap.message, "type": "internal_server_error"}]},
                status_code=500,
            )
        spec = task.spec
        video: dict[str, Any] = {
            "url": state.files.signed_url(task),
            "content_type": "video/mp4",
            "file_name": "output.mp4",
            "file_size": task.video_path.stat().st_size,
            "width": spec.width,
            "height": spec.height,
            "fps": spec.fps,
            "duration": spec.duration_s,
            "num_frames": spec.frame_count,
        }
        body: dict[str, Any] = {"video": video}
        if "seed" in task.body:
            body["seed"] = task.body["seed"]
        if task.model.startswith("fal-ai/sora-2/"):
            body["video_id"] = f"video_{task.id[:24]}"
        return JSONResponse(body, headers={"x-fal-request-id": task.id})

    # Registered last by the app: a catch-all for `POST /{owner}/{app}[/{path}]`.
    @router.post("/{model_id:path}")
    async def submit(model_id: str, request: Request) -> Response:
        if (err := auth_error(request)) is not None:
            return err
        route = known_route(PROVIDER, model_id)
        family = _family(model_id)
        if route is None or family is None:
            return dialect.error(ErrorKind.NOT_FOUND, f"Application '{model_id}' not found")
        try:
            body = await read_json(request)
            prompt = body.get("prompt")
            if not isinstance(prompt, str) or not prompt:
                raise InputError("field required: prompt")
            if fault := await http_fault(state, dialect, request, Phase.SUBMIT, prompt=prompt):
                return fault
            if policy_at_submit(state, PROVIDER, prompt):
                return dialect.error(ErrorKind.CONTENT_POLICY, _POLICY_MSG)
            duration = _duration(body.get("duration"), family, route.durations)
            resolution = _choice(body, family.resolution_field, route.resolutions)
            aspect = _choice(body, family.aspect_field, ("16:9", "9:16", "1:1"))
            audio = (
                body.get(family.audio_field, True) if family.audio_field else family.native_audio
            )
            if not isinstance(audio, bool):
                raise InputError(f"{family.audio_field} must be a boolean")
            image = await load_image(state, body.get(family.image_field))
            spec = output_spec(
                image,
                duration_s=duration,
                resolution=resolution,
                aspect_ratio=aspect,
                audio=audio,
                route=route,
            )
        except InputError as exc:
            return dialect.error(ErrorKind.INVALID_INPUT, str(exc))
        # Inline images are not kept: a thousand tasks in flight would hold a thousand copies.
        recorded = {
            k: v for k, v in body.items() if not (isinstance(v, str) and v.startswith("data:"))
        }
        task = state.create_task(
            provider=PROVIDER, model=model_id, prompt=prompt, image=image, spec=spec, body=recorded
        )
        return JSONResponse(
            {
                "request_id": task.id,
                **_urls(state, task),
                "status": "IN_QUEUE",
                "queue_position": state.snapshot(task).queue_position,
            },
            headers={"x-fal-request-id": task.id},
        )

    return router


def _duration(raw: object, family: _Family, allowed: tuple[int, ...]) -> int:
    if family.duration_format == "s":
        ok = isinstance(raw, str) and raw.endswith("s") and raw[:-1].isdigit()
        value = int(raw[:-1]) if ok and isinstance(raw, str) else None
    elif family.duration_format == "str":
        value = int(raw) if isinstance(raw, str) and raw.isdigit() else None
    else:
        value = (
            raw
            if isinstance(raw, int) and not isinstance(raw, bool)
            else (int(raw) if isinstance(raw, str) and raw.isdigit() else None)
        )
    if value is None or value not in allowed:
        shown = [_fmt(d, family) for d in allowed]
        raise InputError(f"duration: unexpected value {raw!r}; permitted: {shown}")
    return value


def _fmt(d: int, family: _Family) -> str | int:
    return {"s": f"{d}s", "str": str(d)}.get(family.duration_format, d)


def _choice(body: dict[str, Any], field: str | None, allowed: tuple[str, ...]) -> str | None:
    if field is None or field not in body or body[field] == "auto":
        return None
    value = body[field]
    if value not in allowed:
        raise InputError(f"{field}: unexpected value {value!r}; permitted: {list(allowed)}")
    return str(value)
