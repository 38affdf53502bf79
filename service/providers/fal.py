"""fal.ai queue API adapter (providers.md section 1).

Field names differ per model family, so they are a table. Status, result and cancel use the
URLs fal returned at submit (they drop the model's sub-path). A failed request is
`COMPLETED` with `error_type`; its result GET carries the model's own error status.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from service.providers.base import (
    ProviderAdapter,
    ProviderError,
    ProviderHandle,
    ProviderResult,
    ProviderUpdate,
    SubmitRequest,
)
from service.providers.http import http_error, json_object, maybe_json, send, transport_error
from service.providers.images import image_reference
from shared.errors import ErrorCode
from shared.states import ProviderStatus


@dataclass(frozen=True)
class FalFamily:
    image_field: str
    duration: str  # "str" -> "5", "s" -> "8s", "int" -> 4
    resolution_field: str | None = None
    aspect_field: str | None = None
    audio_field: str | None = None
    negative_prompt: bool = False
    seed: bool = False


FAMILIES: list[tuple[str, FalFamily]] = [
    (
        "fal-ai/kling-video/v2.6/",
        FalFamily("start_image_url", "str", audio_field="generate_audio", negative_prompt=True),
    ),
    ("fal-ai/kling-video/", FalFamily("image_url", "str", negative_prompt=True)),
    (
        "fal-ai/veo3",
        FalFamily(
            "image_url",
            "s",
            "resolution",
            "aspect_ratio",
            "generate_audio",
            negative_prompt=True,
            seed=True,
        ),
    ),
    ("fal-ai/sora-2/", FalFamily("image_url", "int", "resolution", "aspect_ratio")),
    ("fal-ai/wan", FalFamily("image_url", "str", "resolution", negative_prompt=True, seed=True)),
]

# fal's error_type vocabulary (providers.md 1.8) -> our codes.
_ERROR_TYPES: dict[str, ErrorCode] = {
    "content_policy_violation": ErrorCode.CONTENT_POLICY,
    "generation_timeout": ErrorCode.PROVIDER_TIMEOUT,
    "request_timeout": ErrorCode.PROVIDER_TIMEOUT,
    "startup_timeout": ErrorCode.PROVIDER_TIMEOUT,
    "client_cancelled": ErrorCode.CANCELLED,
} | {
    t: ErrorCode.INVALID_INPUT
    for t in (
        "image_too_small",
        "image_too_large",
        "image_load_error",
        "file_download_error",
        "face_detection_error",
        "file_too_large",
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "multiple_of",
        "sequence_too_short",
        "sequence_too_long",
        "value_error",
        "bad_request",
        "missing",
        "literal_error",
    )
}


def family_for(model: str) -> FalFamily:
    for prefix, family in FAMILIES:
        if model.startswith(prefix):
            return family
    raise ProviderError(ErrorCode.MODEL_UNAVAILABLE, f"fal adapter has no mapping for {model}")


def _duration(value: int, family: FalFamily) -> str | int:
    return {"str": str(value), "s": f"{value}s"}.get(family.duration, value)


def _error_fields(body: dict[str, Any], header_type: str | None) -> tuple[str, str | None]:
    """(message, error_type) from `detail` (a string or pydantic's list) and `error_type`."""
    detail = body.get("detail")
    etype = body.get("error_type") or header_type
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        first = detail[0]
        return str(first.get("msg", "")), str(first.get("type") or etype or "") or None
    return str(detail or body.get("error") or ""), etype


class FalAdapter(ProviderAdapter):
    name = "fal"
    supports_cancel = True
    supports_stream = True

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Key {self.endpoint.key.get_secret_value()}"}

    def _raise(self, resp: Any, *, submit: bool = False) -> ProviderError:
        message, etype = _error_fields(maybe_json(resp), resp.headers.get("x-fal-error-type"))
        code = _ERROR_TYPES.get(etype or "")
        if code is ErrorCode.CONTENT_POLICY:
            return ProviderError(code, message, http_status=resp.status_code, provider_code=etype)
        if code is ErrorCode.INVALID_INPUT and resp.status_code < 500:
            return ProviderError(code, message, http_status=resp.status_code, provider_code=etype)
        return http_error(resp, message, submit=submit, provider_code=etype)

    async def _submit(self, req: SubmitRequest) -> ProviderHandle:
        model = req.route.provider_model
        family = family_for(model)
        body: dict[str, Any] = {
            "prompt": req.prompt,
            family.image_field: image_reference(req, data_url_fallback=True),
            "duration": _duration(req.duration_s, family),
        }
        if family.resolution_field:
            body[family.resolution_field] = req.resolution
        if family.aspect_field:
            body[family.aspect_field] = req.aspect_ratio
        if family.audio_field:
            body[family.audio_field] = req.audio
        if family.negative_prompt and req.negative_prompt:
            body["negative_prompt"] = req.negative_prompt
        if family.seed and req.seed is not None:
            body["seed"] = req.seed
        body |= req.route.params | req.options
        resp = await send(
            self.client,
            "POST",
            f"{self.endpoint.root}/{model}",
            submit=True,
            json=body,
            headers=self._headers(),
        )
        if not resp.is_success:
            raise self._raise(resp, submit=True)
        data = json_object(resp, submit=True)
        try:
            return ProviderHandle(
                adapter="fal",
                route=req.route.name,
                provider_model=model,
                task_id=str(data["request_id"]),
                status_url=str(data["status_url"]),
                result_url=str(data["response_url"]),
                cancel_url=str(data["cancel_url"]),
                submitted_at=datetime.now(UTC),
            )
        except KeyError as exc:
            raise ProviderError(
                ErrorCode.PROVIDER_ERROR, f"submit answer lacks {exc}", outcome_unknown=True
            ) from None

    def _update(self, data: dict[str, Any]) -> ProviderUpdate:
        raw = str(data.get("status"))
        logs = [
            str(line.get("message", ""))
            for line in data.get("logs") or []
            if isinstance(line, dict)
        ]
        if raw == "IN_QUEUE":
            position = data.get("queue_position")
            return ProviderUpdate(
                status=ProviderStatus.QUEUED,
                raw_status=raw,
                queue_position=position if isinstance(position, int) else None,
            )
        if raw == "IN_PROGRESS":
            return ProviderUpdate(status=ProviderStatus.RUNNING, raw_status=raw, logs=logs)
        if raw != "COMPLETED":
            raise ProviderError(
                ErrorCode.PROVIDER_ERROR, f"unknown fal status {raw!r}", transient=True
            )
        etype, error = data.get("error_type"), data.get("error")
        if not etype and not error:
            return ProviderUpdate(
                status=ProviderStatus.SUCCEEDED, raw_status=raw, progress=100, logs=logs
            )
        code = _ERROR_TYPES.get(str(etype or ""), ErrorCode.PROVIDER_ERROR)
        status = ProviderStatus.CANCELLED if code is ErrorCode.CANCELLED else ProviderStatus.FAILED
        return ProviderUpdate(
            status=status,
            raw_status=f"{raw}:{etype}",
            logs=logs,
            error_code=code,
            error_message=str(error or etype),
        )

    async def _poll(self, handle: ProviderHandle) -> ProviderUpdate:
        resp = await send(
            self.client,
            "GET",
            f"{handle.status_url}",
            params={"logs": "1"},
            headers=self._headers(),
        )
        if resp.status_code not in (200, 202):
            raise self._raise(resp)
        return self._update(json_object(resp))

    async def stream(self, handle: ProviderHandle) -> AsyncIterator[ProviderUpdate]:
        """fal's server-sent status events; ends after the terminal update."""
        url = f"{handle.status_url}/stream"
        try:
            async with self.client.stream(
                "GET", url, params={"logs": "1"}, headers=self._headers()
            ) as resp:
                if resp.status_code != 200:
                    await resp.aread()
                    raise self._raise(resp)
                async for line in resp.aiter_lines():
                    if not line.startswith("data:"):
                        continue  # blank separators and ": ping" keep-alives
                    try:
                        data = json.loads(line[5:])
                    except ValueError:
                        raise ProviderError(
                            ErrorCode.PROVIDER_ERROR, "garbled status event", transient=True
                        ) from None
                    update = self._update(data)
                    yield update
                    if update.terminal:
                        return
        except httpx.TransportError as exc:
            raise transport_error(exc, submit=False) from None
        raise ProviderError(ErrorCode.PROVIDER_ERROR, "status stream ended early", transient=True)

    async def _result(self, handle: ProviderHandle) -> ProviderResult:
        resp = await send(self.client, "GET", f"{handle.result_url}", headers=self._headers())
        if resp.status_code == 499:
            raise ProviderError(
                ErrorCode.CANCELLED,
                "the request was cancelled",
                http_status=499,
                provider_code="client_cancelled",
            )
        if not resp.is_success:
            raise self._raise(resp)
        data = json_object(resp)
        video = data.get("video")
        if not isinstance(video, dict) or not video.get("url"):
            raise ProviderError(ErrorCode.PROVIDER_ERROR, "result has no video url")
        meta = {k: data[k] for k in ("seed", "video_id") if k in data}
        return ProviderResult(
            video_urls=[str(video["url"])],
            content_type=str(video.get("content_type") or "video/mp4"),
            size_bytes=video.get("file_size"),
            duration_s=video.get("duration"),
            width=video.get("width"),
            height=video.get("height"),
            metadata=meta,
        )

    async def cancel(self, handle: ProviderHandle) -> bool:
        resp = await send(self.client, "PUT", f"{handle.cancel_url}", headers=self._headers())
        if resp.status_code in (200, 202):
            return True
        if resp.status_code in (400, 404):
            return False  # ALREADY_COMPLETED / NOT_FOUND: nothing left to stop
        raise self._raise(resp)
