"""Runway API (providers.md section 6): image_to_video, tasks, DELETE to cancel.

`X-Runway-Version: 2024-11-06` is required. A queued task reads THROTTLED while older tasks
of the account wait ahead of it (Runway's per-organisation concurrency), else PENDING.
`progress` (0-1) appears only while RUNNING. Output URLs are re-signed on every GET, as
"fetch the task again for fresh URLs" expects. DELETE cancels an unfinished task and
deletes a finished one; either way it answers 204 with no body.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from service.providers.emulator.core import EmulatorState, Failure, Task, TaskState
from service.providers.emulator.faults import Phase
from service.providers.emulator.protocol import (
    ErrorKind,
    InputError,
    http_fault,
    iso,
    known_route,
    load_image,
    policy_at_submit,
    read_json,
    retry_after_header,
)
from service.providers.emulator.render import RenderSpec

PROVIDER = "runway"
API_VERSION = "2024-11-06"
_RATIOS: dict[str, tuple[str, ...]] = {
    "gen4_turbo": ("1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672"),
    "veo3.1": ("1280:720", "720:1280", "1080:1920", "1920:1080"),
    "veo3.1_fast": ("1280:720", "720:1280", "1080:1920", "1920:1080"),
}
_AUDIO_MODELS = frozenset({"veo3.1", "veo3.1_fast"})


class RunwayDialect:
    provider = PROVIDER

    def error(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> Response:
        code = (
            status
            or {
                ErrorKind.UNAUTHORIZED: 401,
                ErrorKind.RATE_LIMITED: 429,
                ErrorKind.SERVER_ERROR: 503,
                ErrorKind.INVALID_INPUT: 400,
                ErrorKind.CONTENT_POLICY: 400,
                ErrorKind.NOT_FOUND: 404,
            }[kind]
        )
        return JSONResponse(
            {"error": message}, status_code=code, headers=retry_after_header(retry_after)
        )


def task_body(state: EmulatorState, task: Task) -> dict[str, Any]:
    snap = state.snapshot(task)
    body: dict[str, Any] = {"id": task.id, "createdAt": iso(task.created_epoch)}
    if snap.state is TaskState.QUEUED:
        body["status"] = "THROTTLED" if snap.queue_position > 0 else "PENDING"
    elif snap.state is TaskState.RUNNING:
        body |= {"status": "RUNNING", "progress": round(snap.progress, 2)}
    elif snap.state is TaskState.SUCCEEDED:
        body |= {"status": "SUCCEEDED", "output": [state.files.signed_url(task)]}
    elif snap.state is TaskState.CANCELLED:
        body["status"] = "CANCELLED"
    elif snap.failure is Failure.CONTENT_POLICY:
        body |= {
            "status": "FAILED",
            "failureCode": "SAFETY.OUTPUT.VIDEO",
            "failure": "The output did not pass our content moderation.",
        }
    else:
        body |= {
            "status": "FAILED",
            "failureCode": "INTERNAL.BAD_OUTPUT.CODE01",
            "failure": "An unexpected error occurred.",
        }
    return body


def create_router(state: EmulatorState) -> APIRouter:
    router = APIRouter(prefix="/v1")
    dialect = RunwayDialect()

    def auth_error(request: Request) -> Response | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token.strip() != state.config.key:
            return dialect.error(ErrorKind.UNAUTHORIZED, "Incorrect API key provided.")
        version = request.headers.get("x-runway-version")
        if version is None:
            return dialect.error(
                ErrorKind.INVALID_INPUT, "The X-Runway-Version header is required."
            )
        if version != API_VERSION:
            return dialect.error(
                ErrorKind.INVALID_INPUT, f"Invalid API version {version!r}; use {API_VERSION}."
            )
        return None

    @router.post("/image_to_video")
    async def image_to_video(request: Request) -> Response:
        if (err := auth_error(request)) is not None:
            return err
        try:
            body = await read_json(request)
            model = body.get("model")
            route = known_route(PROVIDER, model) if isinstance(model, str) else None
            if route is None or model not in _RATIOS:
                raise InputError(f"Invalid parameter 'model': {model!r}")
            prompt = body.get("promptText", "")
            if not isinstance(prompt, str) or len(prompt) > 1000:
                raise InputError("Invalid parameter 'promptText'")
            if fault := await http_fault(state, dialect, request, Phase.SUBMIT, prompt=prompt):
                return fault
            if policy_at_submit(state, PROVIDER, prompt):
                return dialect.error(
                    ErrorKind.CONTENT_POLICY, "Your input did not pass our content moderation."
                )
            ratio = body.get("ratio")
            if ratio not in _RATIOS[model]:
                raise InputError(f"Invalid parameter 'ratio': must be one of {_RATIOS[model]}")
            duration = body.get("duration")
            if not (isinstance(duration, int) and duration in route.durations):
                raise InputError(f"Invalid parameter 'duration': one of {list(route.durations)}")
            seed = body.get("seed")
            if seed is not None and not (isinstance(seed, int) and 0 <= seed <= 4294967295):
                raise InputError("Invalid parameter 'seed'")
            audio = body.get("audio", model in _AUDIO_MODELS)
            if not isinstance(audio, bool) or (audio and model not in _AUDIO_MODELS):
                raise InputError("Invalid parameter 'audio'")
            image_ref = body.get("promptImage")
            if isinstance(image_ref, list):
                first = [
                    i for i in image_ref if isinstance(i, dict) and i.get("position") == "first"
                ]
                image_ref = first[0].get("uri") if first else None
            if not (
                isinstance(image_ref, str)
                and image_ref.startswith(("https://", "http://", "data:image/"))
            ):
                raise InputError("Invalid parameter 'promptImage'")
            image = await load_image(state, image_ref)
            width, height = (int(x) for x in str(ratio).split(":"))
            spec = RenderSpec(duration_s=float(duration), width=width, height=height, audio=audio)
        except InputError as exc:
            return dialect.error(ErrorKind.INVALID_INPUT, str(exc))
        recorded = {k: v for k, v in body.items() if k != "promptImage"}
        task = state.create_task(
            provider=PROVIDER,
            model=model,
            prompt=prompt,
            image=image,
            spec=spec,
            body=recorded,
            task_id=str(uuid.uuid4()),
        )
        return JSONResponse({"id": task.id})

    @router.get("/tasks/{task_id}")
    async def retrieve(task_id: str, request: Request) -> Response:
        if (err := auth_error(request)) is not None:
            return err
        task = state.get(PROVIDER, task_id)
        if task is None:
            return dialect.error(ErrorKind.NOT_FOUND, "Task not found.")
        if fault := await http_fault(state, dialect, request, Phase.STATUS, task=task):
            return fault
        return JSONResponse(task_body(state, task))

    @router.delete("/tasks/{task_id}")
    async def delete(task_id: str, request: Request) -> Response:
        if (err := auth_error(request)) is not None:
            return err
        task = state.get(PROVIDER, task_id)
        if task is None:
            return dialect.error(ErrorKind.NOT_FOUND, "Task not found.")
        if fault := await http_fault(state, dialect, request, Phase.CANCEL, task=task):
            return fault
        if not state.cancel(task):
            state.delete(task)
        return Response(status_code=204)

    return router
