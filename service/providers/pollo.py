"""Pollo platform adapter (providers.md section 5).

Pollo's envelope is not settled: answers come wrapped as `{"code": "SUCCESS", "data": {...}}`
or as the bare object, so `_unwrap` accepts both. Status lists `generations[]`; an empty
list means the task is still waiting. The legacy create path takes `length`; a route with
`params: {api: v1}` uses the v1 path, which calls it `duration`. No cancel, no progress.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from service.providers.base import (
    ProviderAdapter,
    ProviderError,
    ProviderHandle,
    ProviderResult,
    ProviderUpdate,
    SubmitRequest,
)
from service.providers.http import (
    http_error,
    json_object,
    looks_like_policy,
    maybe_json,
    send,
    status_error,
)
from service.providers.images import image_reference
from shared.errors import ErrorCode
from shared.states import ProviderStatus

URL_LIFETIME = timedelta(days=14)
_STATES = {
    "waiting": ProviderStatus.QUEUED,
    "processing": ProviderStatus.RUNNING,
    "succeed": ProviderStatus.SUCCEEDED,
    "failed": ProviderStatus.FAILED,
}
_CODES = {
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "BAD_REQUEST": 400,
    "TOO_MANY_REQUESTS": 429,
    "INTERNAL_SERVER_ERROR": 500,
}


def _unwrap(body: dict[str, Any], *, submit: bool) -> dict[str, Any]:
    code = body.get("code")
    if code is not None and code != "SUCCESS":
        message = str(body.get("message") or code)
        if "credit" in message.lower():
            raise ProviderError(
                ErrorCode.PROVIDER_ERROR, f"Pollo account: {message}", provider_code=str(code)
            )
        raise status_error(
            _CODES.get(str(code), 500), message, submit=submit, provider_code=str(code)
        )
    data = body.get("data")
    return data if isinstance(data, dict) else body


class PolloAdapter(ProviderAdapter):
    name = "pollo"

    def _headers(self) -> dict[str, str]:
        return {"x-api-key": self.endpoint.key.get_secret_value()}

    async def _call(
        self, method: str, url: str, *, submit: bool = False, **kwargs: Any
    ) -> dict[str, Any]:
        resp = await send(
            self.client, method, url, submit=submit, headers=self._headers(), **kwargs
        )
        if not resp.is_success:
            body = maybe_json(resp)
            message = str(body.get("message") or resp.reason_phrase)
            if "credit" in message.lower() and resp.status_code < 500:
                raise ProviderError(
                    ErrorCode.PROVIDER_ERROR,
                    f"Pollo account: {message}",
                    http_status=resp.status_code,
                )
            raise http_error(
                resp, message, submit=submit, provider_code=str(body.get("code") or "") or None
            )
        return _unwrap(json_object(resp, submit=submit), submit=submit)

    async def _submit(self, req: SubmitRequest) -> ProviderHandle:
        model = req.route.provider_model
        params = dict(req.route.params)
        v1 = params.pop("api", None) == "v1"
        inputs: dict[str, Any] = {
            "image": image_reference(req),
            "prompt": req.prompt,
            ("duration" if v1 else "length"): req.duration_s,
        }
        if req.negative_prompt:
            inputs["negativePrompt"] = req.negative_prompt
        if req.seed is not None:
            inputs["seed"] = req.seed
        inputs |= params | req.options
        root = self.endpoint.root
        url = (
            f"{root}/api/platform/v1/generation/{model}/video"
            if v1
            else f"{root}/api/platform/generation/{model}"
        )
        data = await self._call("POST", url, submit=True, json={"input": inputs})
        task_id = data.get("taskId")
        if not task_id:
            raise ProviderError(
                ErrorCode.PROVIDER_ERROR, "submit answer lacks taskId", outcome_unknown=True
            )
        return ProviderHandle(
            adapter="pollo",
            route=req.route.name,
            provider_model=model,
            task_id=str(task_id),
            status_url=f"{root}/api/platform/generation/{task_id}/status",
            submitted_at=datetime.now(UTC),
        )

    async def _generation(self, handle: ProviderHandle) -> dict[str, Any] | None:
        data = await self._call("GET", str(handle.status_url))
        generations = [g for g in data.get("generations") or [] if isinstance(g, dict)]
        videos = [g for g in generations if g.get("mediaType", "video") == "video"]
        chosen = videos or generations
        return chosen[0] if chosen else None

    async def _poll(self, handle: ProviderHandle) -> ProviderUpdate:
        generation = await self._generation(handle)
        if generation is None:
            return ProviderUpdate(status=ProviderStatus.QUEUED, raw_status="waiting")
        raw = str(generation.get("status"))
        status = _STATES.get(raw)
        if status is None:
            raise ProviderError(
                ErrorCode.PROVIDER_ERROR, f"unknown Pollo status {raw!r}", transient=True
            )
        if status is not ProviderStatus.FAILED:
            progress = 100.0 if status is ProviderStatus.SUCCEEDED else None
            return ProviderUpdate(status=status, raw_status=raw, progress=progress)
        message = str(generation.get("failMsg") or "generation failed")
        code = ErrorCode.CONTENT_POLICY if looks_like_policy(message) else ErrorCode.PROVIDER_ERROR
        return ProviderUpdate(status=status, raw_status=raw, error_code=code, error_message=message)

    async def _result(self, handle: ProviderHandle) -> ProviderResult:
        generation = await self._generation(handle)
        if generation is None or generation.get("status") != "succeed" or not generation.get("url"):
            raise ProviderError(ErrorCode.PROVIDER_ERROR, "the task has no video")
        return ProviderResult(
            video_urls=[str(generation["url"])], expires_at=datetime.now(UTC) + URL_LIFETIME
        )
