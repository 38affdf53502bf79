"""Gemini API Veo (providers.md section 3.1): long-running operations at their real paths.

Submit returns an Operation named `models/{model}/operations/{id}`; polling the name answers
`done: false` until the end (no finer state, no progress). A safety-filtered result is
`done: true` with `raiMediaFilteredCount` and no samples. The video URI points at
`/v1beta/files/{id}:download?alt=media`, which needs the API key like everything else.
A wrong key is Google's 400 API_KEY_INVALID; a missing one is 403 PERMISSION_DENIED.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from service.providers.emulator.core import EmulatorState, Failure, Task, TaskState
from service.providers.emulator.faults import Phase
from service.providers.emulator.files import FileEntry, serve_file
from service.providers.emulator.protocol import (
    ErrorKind,
    InputError,
    http_fault,
    known_route,
    load_image,
    output_spec,
    policy_at_submit,
    read_json,
)

PROVIDER = "gemini"
FILE_TTL_S = 2 * 24 * 3600  # Gemini keeps generated videos for two days
_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_POLICY_MSG = (
    "The prompt or image could not be submitted. It may violate Google's "
    "Responsible AI practices. Support codes: 58061214"
)
_RAI_REASON = (
    "Video generation was blocked by our safety filters. You have not been charged "
    "for this attempt."
)
_RESPONSE_TYPE = (
    "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse"
)


class GeminiDialect:
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
                ErrorKind.UNAUTHORIZED: 400,
                ErrorKind.RATE_LIMITED: 429,
                ErrorKind.SERVER_ERROR: 503,
                ErrorKind.INVALID_INPUT: 400,
                ErrorKind.CONTENT_POLICY: 400,
                ErrorKind.NOT_FOUND: 404,
            }[kind]
        )
        details: list[dict[str, Any]] = []
        if kind is ErrorKind.UNAUTHORIZED and code == 400:
            details.append(
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                }
            )
        if retry_after is not None:
            # Google says when to come back in the body (RetryInfo), not in Retry-After.
            details.append(
                {
                    "@type": "type.googleapis.com/google.rpc.RetryInfo",
                    "retryDelay": f"{retry_after:g}s",
                }
            )
        error: dict[str, Any] = {
            "code": code,
            "message": message,
            "status": _STATUS.get(code, "UNKNOWN"),
        }
        if details:
            error["details"] = details
        return JSONResponse({"error": error}, status_code=code)


def operation(state: EmulatorState, task: Task) -> dict[str, Any]:
    name = f"models/{task.model}/operations/{task.id}"
    snap = state.snapshot(task)
    if not snap.state.terminal:
        return {"name": name}  # the API omits `done` while it is false
    body: dict[str, Any] = {"name": name, "done": True}
    if snap.state is TaskState.CANCELLED:
        body["error"] = {"code": 1, "message": "The operation was cancelled."}
    elif snap.failure is Failure.CONTENT_POLICY:
        body["response"] = {
            "@type": _RESPONSE_TYPE,
            "generateVideoResponse": {
                "raiMediaFilteredCount": 1,
                "raiMediaFilteredReasons": [_RAI_REASON],
            },
        }
    elif snap.state is TaskState.FAILED:
        body["error"] = {"code": 13, "message": snap.message}
    else:
        entry = _file_entry(state, task)
        uri = state.url(f"/v1beta/files/{entry.token}:download?alt=media")
        body["response"] = {
            "@type": _RESPONSE_TYPE,
            "generateVideoResponse": {"generatedSamples": [{"video": {"uri": uri}}]},
        }
    return body


def _file_entry(state: EmulatorState, task: Task) -> FileEntry:
    """The task's file, whose two-day lifetime starts when it is first handed out."""
    entry = state.files.entry_for(task)
    if entry.expires_at is None:
        expired = state.files.url_expired_now(task)
        entry.expires_at = time.time() + (-60 if expired else FILE_TTL_S)
    return entry


def create_router(state: EmulatorState) -> APIRouter:
    router = APIRouter(prefix="/v1beta")
    dialect = GeminiDialect()

    def auth_error(request: Request) -> Response | None:
        key = request.headers.get("x-goog-api-key") or request.query_params.get("key")
        if not key:
            return dialect.error(
                ErrorKind.UNAUTHORIZED,
                status=403,
                message="Method doesn't allow unregistered callers (callers without "
                "established identity). Please use API Key or other form of API consumer "
                "identity to call this API.",
            )
        if key != state.config.key:
            return dialect.error(
                ErrorKind.UNAUTHORIZED, "API key not valid. Please pass a valid API key."
            )
        return None

    @router.post("/models/{model}:predictLongRunning")
    async def predict(model: str, request: Request) -> Response:
        if (err := auth_error(request)) is not None:
            return err
        route = known_route(PROVIDER, model)
        if route is None:
            return dialect.error(
                ErrorKind.NOT_FOUND,
                f"models/{model} is not found for API "
                "version v1beta, or is not supported for predictLongRunning.",
            )
        try:
            body = await read_json(request)
            instances = body.get("instances")
            if not (
                isinstance(instances, list)
                and len(instances) == 1
                and isinstance(instances[0], dict)
            ):
                raise InputError("instances must hold exactly one instance")
            instance = instances[0]
            prompt = instance.get("prompt")
            if not isinstance(prompt, str) or not prompt:
                raise InputError("instances[0].prompt is required")
            if fault := await http_fault(state, dialect, request, Phase.SUBMIT, prompt=prompt):
                return fault
            if policy_at_submit(state, PROVIDER, prompt):
                return dialect.error(ErrorKind.CONTENT_POLICY, _POLICY_MSG)
            params = body.get("parameters") or {}
            if not isinstance(params, dict):
                raise InputError("parameters must be an object")
            for unsupported in ("seed", "generateAudio", "fps", "storageUri"):
                if unsupported in params:
                    raise InputError(f"`{unsupported}` isn't supported by the Gemini API.")
            duration = params.get("durationSeconds", 8)
            if isinstance(duration, str) and duration.isdigit():
                duration = int(duration)
            resolution = params.get("resolution", "720p")
            if resolution not in route.resolutions:
                raise InputError(f"resolution {resolution!r} is not supported")
            if not isinstance(duration, int) or route.rejects(duration, resolution):
                raise InputError(
                    route.rejects(duration, resolution)
                    if isinstance(duration, int)
                    else "durationSeconds must be a number"
                )
            aspect = params.get("aspectRatio", "16:9")
            if aspect not in ("16:9", "9:16"):
                raise InputError("aspectRatio must be 16:9 or 9:16")
            image = instance.get("image")
            if not (
                isinstance(image, dict) and "bytesBase64Encoded" in image and "mimeType" in image
            ):
                raise InputError("instances[0].image needs bytesBase64Encoded and mimeType")
            raw = image["bytesBase64Encoded"]
            if not isinstance(raw, str) or raw.startswith(("data:", "http:", "https:")):
                raise InputError("image.bytesBase64Encoded must be base64 bytes")
            image_bytes = await load_image(state, raw)
            spec = output_spec(
                image_bytes,
                duration_s=duration,
                resolution=resolution,
                aspect_ratio=aspect,
                audio=True,
                route=route,
            )
        except InputError as exc:
            return dialect.error(ErrorKind.INVALID_INPUT, str(exc))
        task = state.create_task(
            provider=PROVIDER,
            model=model,
            prompt=prompt,
            image=image_bytes,
            spec=spec,
            body=_without_image(body),
            task_id=secrets.token_hex(6),
        )
        return JSONResponse({"name": f"models/{model}/operations/{task.id}"})

    @router.get("/models/{model}/operations/{op_id}")
    async def get_operation(model: str, op_id: str, request: Request) -> Response:
        if (err := auth_error(request)) is not None:
            return err
        task = state.get(PROVIDER, op_id)
        if task is None or task.model != model:
            return dialect.error(ErrorKind.NOT_FOUND, "Operation not found")
        if fault := await http_fault(state, dialect, request, Phase.STATUS, task=task):
            return fault
        return JSONResponse(operation(state, task))

    @router.api_route("/files/{file_id}:download", methods=["GET", "HEAD"])
    async def download(file_id: str, request: Request) -> Response:
        if (err := auth_error(request)) is not None:
            return err
        entry = state.files.get(file_id)
        if (
            entry is not None
            and entry.task.provider == PROVIDER
            and entry.expires_at is None
            and state.snapshot(entry.task).state is TaskState.SUCCEEDED
        ):
            entry = _file_entry(state, entry.task)  # handed out before a restart
        if (
            entry is None
            or entry.task.provider != PROVIDER
            or entry.expires_at is None
            or entry.expires_at < time.time()
        ):
            return dialect.error(ErrorKind.NOT_FOUND, f"File files/{file_id} was not found.")
        return await serve_file(state, request, entry)

    return router


def _without_image(body: dict[str, Any]) -> dict[str, Any]:
    """The request as recorded: the image bytes are not kept twice."""
    instances = [{k: v for k, v in i.items() if k != "image"} for i in body.get("instances", [])]
    return {**body, "instances": instances}
