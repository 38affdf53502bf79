"""Pollo platform API (providers.md section 5), legacy and v1 create paths.

Answers are wrapped as `{"code": "SUCCESS", "message", "data": {...}}`; the marker
`flat_envelope` makes a task answer with the bare inner object instead, the variant one
client observed, so adapters are tested against both. Status lists `generations[]`, empty
while the task waits. No cancel API.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from service.providers.emulator.core import EmulatorState, Failure, Task, TaskState
from service.providers.emulator.faults import FaultKind, Phase
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
    wants,
)

PROVIDER = "pollo"
_STATUS = {
    TaskState.QUEUED: "waiting",
    TaskState.RUNNING: "processing",
    TaskState.SUCCEEDED: "succeed",
    TaskState.FAILED: "failed",
    TaskState.CANCELLED: "failed",
}
_ASPECTS = ("16:9", "9:16", "1:1")


class PolloDialect:
    provider = PROVIDER

    def error(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> Response:
        http, code = {
            ErrorKind.UNAUTHORIZED: (401, "UNAUTHORIZED"),
            ErrorKind.RATE_LIMITED: (429, "TOO_MANY_REQUESTS"),
            ErrorKind.SERVER_ERROR: (500, "INTERNAL_SERVER_ERROR"),
            ErrorKind.INVALID_INPUT: (400, "BAD_REQUEST"),
            ErrorKind.CONTENT_POLICY: (400, "BAD_REQUEST"),
            ErrorKind.NOT_FOUND: (404, "NOT_FOUND"),
        }[kind]
        return JSONResponse(
            {"code": code, "message": message},
            status_code=status or http,
            headers=retry_after_header(retry_after),
        )


def _wrap(task: Task, data: dict[str, Any]) -> dict[str, Any]:
    if task.extra.get("flat"):
        return data
    return {"code": "SUCCESS", "message": "success", "data": data}


def status_data(state: EmulatorState, task: Task) -> dict[str, Any]:
    snap = state.snapshot(task)
    data: dict[str, Any] = {
        "taskId": task.id,
        "credit": task.spec.duration_s * 2.5,
        "generations": [],
    }
    if snap.state is TaskState.QUEUED and snap.queue_position > 0:
        return data
    generation: dict[str, Any] = {
        "id": f"gen_{task.id}",
        "status": _STATUS[snap.state],
        "failMsg": "",
        "url": "",
        "mediaType": "video",
        "createdDate": iso(task.created_epoch),
        "updatedDate": iso(task.finished_epoch or task.created_epoch),
    }
    if snap.state is TaskState.SUCCEEDED:
        generation["url"] = state.files.signed_url(task)
    elif snap.state is TaskState.CANCELLED:
        generation["failMsg"] = "The task was cancelled."
    elif snap.failure is Failure.CONTENT_POLICY:
        generation["failMsg"] = "The generated content violates the content policy."
    elif snap.state is TaskState.FAILED:
        generation["failMsg"] = "Generation failed due to an internal error."
    data["generations"] = [generation]
    return data


def create_router(state: EmulatorState) -> APIRouter:
    router = APIRouter(prefix="/api/platform")
    dialect = PolloDialect()

    def auth_error(request: Request) -> Response | None:
        if request.headers.get("x-api-key") != state.config.key:
            return dialect.error(ErrorKind.UNAUTHORIZED, "Invalid API key")
        return None

    async def create(request: Request, model_path: str, duration_field: str) -> Response:
        if (err := auth_error(request)) is not None:
            return err
        route = known_route(PROVIDER, model_path)
        if route is None:
            return dialect.error(ErrorKind.NOT_FOUND, "Not found")
        try:
            body = await read_json(request)
            inputs = body.get("input")
            if not isinstance(inputs, dict):
                raise InputError("input is required")
            prompt = inputs.get("prompt", "")
            if not isinstance(prompt, str):
                raise InputError("input.prompt must be a string")
            if fault := await http_fault(state, dialect, request, Phase.SUBMIT, prompt=prompt):
                return fault
            if policy_at_submit(state, PROVIDER, prompt):
                return dialect.error(
                    ErrorKind.CONTENT_POLICY, "The input violates the content policy."
                )
            duration = inputs.get(duration_field)
            if not (isinstance(duration, int) and duration in route.durations):
                raise InputError(f"input.{duration_field} must be one of {list(route.durations)}")
            aspect = inputs.get("aspectRatio")
            if aspect is not None and aspect not in _ASPECTS:
                raise InputError(f"input.aspectRatio must be one of {list(_ASPECTS)}")
            image_ref = inputs.get("image")
            if not (isinstance(image_ref, str) and image_ref.startswith(("http://", "https://"))):
                raise InputError("input.image must be a public image URL")
            image = await load_image(state, image_ref)
            spec = output_spec(
                image,
                duration_s=duration,
                resolution=None,
                aspect_ratio=aspect,
                audio=False,
                route=route,
            )
        except InputError as exc:
            return dialect.error(ErrorKind.INVALID_INPUT, str(exc))
        task = state.create_task(
            provider=PROVIDER,
            model=model_path,
            prompt=prompt,
            image=image,
            spec=spec,
            body=body,
            task_id=f"cm{secrets.token_hex(11)}",
            extra={"flat": wants(prompt, FaultKind.FLAT_ENVELOPE)},
        )
        return JSONResponse(_wrap(task, {"taskId": task.id, "status": "waiting"}))

    @router.post("/generation/{provider}/{model}")
    async def create_legacy(provider: str, model: str, request: Request) -> Response:
        return await create(request, f"{provider}/{model}", "length")

    @router.post("/v1/generation/{provider}/{model}/video")
    async def create_v1(provider: str, model: str, request: Request) -> Response:
        return await create(request, f"{provider}/{model}", "duration")

    @router.get("/generation/{task_id}/status")
    async def status(task_id: str, request: Request) -> Response:
        if (err := auth_error(request)) is not None:
            return err
        task = state.get(PROVIDER, task_id)
        if task is None:
            return dialect.error(ErrorKind.NOT_FOUND, "Not found")
        if fault := await http_fault(state, dialect, request, Phase.STATUS, task=task):
            return fault
        return JSONResponse(_wrap(task, status_data(state, task)))

    return router
