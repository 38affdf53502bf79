"""Kie AI Market jobs API (providers.md section 2), at its real paths.

Every answer is the `{code, msg, message, data}` envelope (both spellings of the message,
since Kie's pages disagree); the HTTP status equals `code`. `param` and `resultJson` are
JSON-encoded strings. States: waiting -> queuing -> generating -> success | fail. Kie has no
cancel API and reports no progress.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from service.providers.emulator.core import EmulatorState, Failure, Task, TaskState
from service.providers.emulator.faults import Phase
from service.providers.emulator.protocol import (
    ErrorKind,
    InputError,
    http_fault,
    known_route,
    load_image,
    output_spec,
    policy_at_submit,
    read_json,
    retry_after_header,
)

PROVIDER = "kie"


@dataclass(frozen=True)
class _Model:
    image_list: bool  # `image_urls: [url]` rather than `image_url: url`
    duration_field: str  # "duration" ("5") or Sora's "n_frames" ("10")
    aspect_field: str | None = None  # Sora: portrait | landscape
    audio_field: str | None = None


_MODELS: dict[str, _Model] = {
    "sora-2-image-to-video": _Model(True, "n_frames", "aspect_ratio"),
    "sora-2-pro-image-to-video": _Model(True, "n_frames", "aspect_ratio"),
    "kling-2.6/image-to-video": _Model(True, "duration", audio_field="sound"),
    "kling/v2-5-turbo-image-to-video-pro": _Model(False, "duration"),
    "kling/v2-1-pro": _Model(False, "duration"),
    "kling/v2-1-standard": _Model(False, "duration"),
}
_ASPECTS = {"landscape": "16:9", "portrait": "9:16"}
_FAILS = {
    Failure.CONTENT_POLICY: ("400", "Your request was flagged for violating the content policy."),
    Failure.RENDER: ("500", "Internal server error"),
}


class KieDialect:
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
                ErrorKind.SERVER_ERROR: 500,
                ErrorKind.INVALID_INPUT: 422,
                ErrorKind.CONTENT_POLICY: 422,
                ErrorKind.NOT_FOUND: 404,
            }[kind]
        )
        return JSONResponse(
            envelope(code, message, None), status_code=code, headers=retry_after_header(retry_after)
        )


def envelope(code: int, message: str, data: Any) -> dict[str, Any]:
    return {"code": code, "msg": message, "message": message, "data": data}


def record(state: EmulatorState, task: Task) -> dict[str, Any]:
    snap = state.snapshot(task)
    if snap.state is TaskState.QUEUED:
        kie_state = "waiting" if snap.queue_position > 0 else "queuing"
    elif snap.state is TaskState.RUNNING:
        kie_state = "generating"
    else:
        kie_state = "success" if snap.state is TaskState.SUCCEEDED else "fail"
    data: dict[str, Any] = {
        "taskId": task.id,
        "model": task.model,
        "state": kie_state,
        "param": json.dumps(task.body),
        "resultJson": "",
        "failCode": "",
        "failMsg": "",
        "costTime": 0,
        "completeTime": None,
        "createTime": int(task.created_epoch * 1000),
        "updateTime": int(task.created_epoch * 1000),
    }
    if snap.state.terminal:
        done = task.finished_epoch or task.created_epoch
        data |= {
            "completeTime": int(done * 1000),
            "updateTime": int(done * 1000),
            "costTime": int(task.render_s * 1000),
        }
    if snap.state is TaskState.SUCCEEDED:
        url = state.files.signed_url(task)
        data["resultJson"] = json.dumps({"resultUrls": [url], "resultWaterMarkUrls": [url]})
    elif snap.state is TaskState.CANCELLED:
        data |= {"failCode": "500", "failMsg": "Task was cancelled."}
    elif snap.state is TaskState.FAILED:
        assert snap.failure is not None
        data["failCode"], data["failMsg"] = _FAILS[snap.failure]
    return data


def create_router(state: EmulatorState) -> APIRouter:
    router = APIRouter(prefix="/api/v1/jobs")
    dialect = KieDialect()

    def auth_error(request: Request) -> Response | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token.strip() != state.config.key:
            return dialect.error(ErrorKind.UNAUTHORIZED, "You do not have access permissions")
        return None

    @router.post("/createTask")
    async def create_task(request: Request) -> Response:
        if (err := auth_error(request)) is not None:
            return err
        try:
            body = await read_json(request)
            model_id = body.get("model")
            spec_model = _MODELS.get(model_id) if isinstance(model_id, str) else None
            route = known_route(PROVIDER, model_id) if isinstance(model_id, str) else None
            if spec_model is None or route is None:
                raise InputError(f"model {model_id!r} is not supported")
            inputs = body.get("input")
            if not isinstance(inputs, dict):
                raise InputError("input is required")
            prompt = inputs.get("prompt")
            if not isinstance(prompt, str) or not prompt:
                raise InputError("input.prompt is required")
            if fault := await http_fault(state, dialect, request, Phase.SUBMIT, prompt=prompt):
                return fault
            if policy_at_submit(state, PROVIDER, prompt):
                return dialect.error(
                    ErrorKind.CONTENT_POLICY,
                    "The prompt was flagged as violating the content policy.",
                )
            raw_duration = inputs.get(spec_model.duration_field)
            if not (
                isinstance(raw_duration, str)
                and raw_duration.isdigit()
                and int(raw_duration) in route.durations
            ):
                allowed = [str(d) for d in route.durations]
                raise InputError(f"input.{spec_model.duration_field} must be one of {allowed}")
            if spec_model.image_list:
                urls = inputs.get("image_urls")
                if not (isinstance(urls, list) and len(urls) == 1):
                    raise InputError("input.image_urls must hold exactly one image URL")
                image_ref = urls[0]
            else:
                image_ref = inputs.get("image_url")
            if not (isinstance(image_ref, str) and image_ref.startswith(("http://", "https://"))):
                raise InputError("images must be public http(s) URLs")
            aspect = None
            if spec_model.aspect_field is not None:
                raw_aspect = inputs.get(spec_model.aspect_field, "landscape")
                if raw_aspect not in _ASPECTS:
                    raise InputError(f"input.{spec_model.aspect_field} must be portrait|landscape")
                aspect = _ASPECTS[raw_aspect]
            audio = inputs.get(spec_model.audio_field, True) if spec_model.audio_field else True
            if not isinstance(audio, bool):
                raise InputError(f"input.{spec_model.audio_field} must be a boolean")
            image = await load_image(state, image_ref)
            spec = output_spec(
                image,
                duration_s=int(raw_duration),
                resolution=None,
                aspect_ratio=aspect,
                audio=audio,
                route=route,
            )
        except InputError as exc:
            return dialect.error(ErrorKind.INVALID_INPUT, str(exc))
        task = state.create_task(
            provider=PROVIDER,
            model=str(model_id),
            prompt=prompt,
            image=image,
            spec=spec,
            body=body,
            task_id=f"task_{str(model_id).split('/')[0]}_{_short_id()}",
        )
        return JSONResponse(envelope(200, "success", {"taskId": task.id}))

    @router.get("/recordInfo")
    async def record_info(request: Request) -> Response:
        if (err := auth_error(request)) is not None:
            return err
        task = state.get(PROVIDER, request.query_params.get("taskId", ""))
        if task is None:
            return dialect.error(ErrorKind.NOT_FOUND, "Task not found")
        if fault := await http_fault(state, dialect, request, Phase.STATUS, task=task):
            return fault
        return JSONResponse(envelope(200, "success", record(state, task)))

    return router


def _short_id() -> str:
    return secrets.token_hex(10)
