"""Kling official API (providers.md section 4): image2video with HS256 JWT auth.

Tokens are verified like Kling does (issuer = access key, signature = secret key, `nbf` and
`exp`); with `--key K` both keys are K. Answers are `{code, message, request_id, data}` with
code 0 / "SUCCEED"; errors carry Kling's business codes (1000-1004 auth, 1201 bad param,
1301 content safety, 1302 rate, 5000-5002 server). Task ids are numeric strings, times are
epoch ms and video durations are strings. There is no cancel API.
"""

from __future__ import annotations

import secrets
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
    known_route,
    load_image,
    output_spec,
    policy_at_submit,
    read_json,
    retry_after_header,
)
from service.providers.jwt import JWTError, decode_hs256

PROVIDER = "kling"
_RISK_MSG = "Failure to pass the risk control system"
_STATUS = {
    TaskState.QUEUED: "submitted",
    TaskState.RUNNING: "processing",
    TaskState.SUCCEEDED: "succeed",
    TaskState.FAILED: "failed",
    TaskState.CANCELLED: "failed",
}
_MODES = {"std": "720p", "pro": "1080p"}


class KlingDialect:
    provider = PROVIDER

    def error(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        code: int | None = None,
    ) -> Response:
        http, business = {
            ErrorKind.UNAUTHORIZED: (401, 1002),
            ErrorKind.RATE_LIMITED: (429, 1302),
            ErrorKind.SERVER_ERROR: (500, 5000),
            ErrorKind.INVALID_INPUT: (400, 1201),
            ErrorKind.CONTENT_POLICY: (400, 1301),
            ErrorKind.NOT_FOUND: (404, 1203),
        }[kind]
        http = status or http
        if kind is ErrorKind.SERVER_ERROR:
            business = {503: 5001, 504: 5002}.get(http, 5000)
        body = {"code": code or business, "message": message, "request_id": str(uuid.uuid4())}
        return JSONResponse(body, status_code=http, headers=retry_after_header(retry_after))


def task_data(state: EmulatorState, task: Task) -> dict[str, Any]:
    snap = state.snapshot(task)
    data: dict[str, Any] = {
        "task_id": task.id,
        "task_status": _STATUS[snap.state],
        "task_status_msg": "",
        "task_info": {"external_task_id": task.extra.get("external_task_id", "")},
        "created_at": int(task.created_epoch * 1000),
        "updated_at": int((task.finished_epoch or task.created_epoch) * 1000),
    }
    if snap.state is TaskState.SUCCEEDED:
        url = state.files.signed_url(task)
        data["final_unit_deduction"] = str(int(task.spec.duration_s) // 5)
        data["watermark_info"] = {"enabled": False}
        data["task_result"] = {
            "videos": [
                {
                    "id": f"{task.id}0",
                    "url": url,
                    "watermark_url": url,
                    "duration": f"{task.spec.duration_s:.1f}",
                }
            ]
        }
    elif snap.state is TaskState.CANCELLED:
        data["task_status_msg"] = "Task was cancelled by the system"
    elif snap.failure is Failure.CONTENT_POLICY:
        data["task_status_msg"] = _RISK_MSG
    elif snap.state is TaskState.FAILED:
        data["task_status_msg"] = "Video generation failed, please try again later"
    return data


def _ok(data: Any) -> JSONResponse:
    return JSONResponse(
        {"code": 0, "message": "SUCCEED", "request_id": str(uuid.uuid4()), "data": data}
    )


def create_router(state: EmulatorState) -> APIRouter:
    router = APIRouter(prefix="/v1/videos/image2video")
    dialect = KlingDialect()

    def auth_error(request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not header or not token.strip():
            return dialect.error(ErrorKind.UNAUTHORIZED, "Auth failed: header is empty", code=1001)
        if scheme.lower() != "bearer":
            return dialect.error(ErrorKind.UNAUTHORIZED, "Auth failed: invalid", code=1002)
        try:
            claims = decode_hs256(token.strip(), state.config.key, leeway_s=5)
        except JWTError as exc:
            return dialect.error(ErrorKind.UNAUTHORIZED, f"Auth failed: {exc}", code=exc.code)
        if claims.get("iss") != state.config.key:
            return dialect.error(
                ErrorKind.UNAUTHORIZED, "Auth failed: unknown access key", code=1002
            )
        return None

    @router.post("")
    async def create(request: Request) -> Response:
        if (err := auth_error(request)) is not None:
            return err
        try:
            body = await read_json(request)
            model = body.get("model_name") or body.get("model") or "kling-v1"
            route = known_route(PROVIDER, model) if isinstance(model, str) else None
            if route is None:
                return dialect.error(ErrorKind.NOT_FOUND, f"model {model!r} not found")
            prompt = body.get("prompt", "")
            if not isinstance(prompt, str) or len(prompt) > 2500:
                raise InputError("prompt must be a string of at most 2500 characters")
            if fault := await http_fault(state, dialect, request, Phase.SUBMIT, prompt=prompt):
                return fault
            if policy_at_submit(state, PROVIDER, prompt):
                return dialect.error(ErrorKind.CONTENT_POLICY, _RISK_MSG)
            duration = body.get("duration", "5")
            if not (
                isinstance(duration, str)
                and duration.isdigit()
                and int(duration) in route.durations
            ):
                raise InputError(f"duration must be one of {[str(d) for d in route.durations]}")
            mode = body.get("mode", "std")
            if mode not in _MODES:
                raise InputError("mode must be std or pro")
            sound = body.get("sound", "off")
            if sound not in ("on", "off"):
                raise InputError("sound must be on or off")
            image_ref = body.get("image")
            if isinstance(image_ref, str) and image_ref.startswith("data:"):
                raise InputError("image must be a URL or Base64 without the data: prefix")
            image = await load_image(state, image_ref)
            resolution = (
                _MODES[mode] if _MODES[mode] in route.resolutions else route.resolutions[-1]
            )
            spec = output_spec(
                image,
                duration_s=int(duration),
                resolution=resolution,
                aspect_ratio=None,
                audio=sound == "on",
                route=route,
            )
            external = body.get("external_task_id")
            if external is not None and (
                not isinstance(external, str) or (PROVIDER, external) in state.aliases
            ):
                raise InputError("external_task_id must be a unique string")
        except InputError as exc:
            return dialect.error(ErrorKind.INVALID_INPUT, str(exc))
        recorded = {k: v for k, v in body.items() if k not in ("image", "image_tail")}
        task = state.create_task(
            provider=PROVIDER,
            model=model,
            prompt=prompt,
            image=image,
            spec=spec,
            body=recorded,
            task_id=str(860_000_000_000_000_000 + secrets.randbelow(10**17)),
            extra={"external_task_id": external or ""},
        )
        data = task_data(state, task)
        return _ok(
            {
                k: data[k]
                for k in ("task_id", "task_status", "task_info", "created_at", "updated_at")
            }
        )

    @router.get("/{task_id}")
    async def query(task_id: str, request: Request) -> Response:
        if (err := auth_error(request)) is not None:
            return err
        task = state.get(PROVIDER, task_id) or state.aliases.get((PROVIDER, task_id))
        if task is not None and task.deleted:
            task = None
        if task is None:
            return dialect.error(ErrorKind.NOT_FOUND, "task not found")
        if fault := await http_fault(state, dialect, request, Phase.STATUS, task=task):
            return fault
        return _ok(task_data(state, task))

    return router
