"""Kling official API adapter (providers.md section 4).

Every request carries a fresh-enough HS256 JWT made from the access and secret keys.
Answers use business codes in `{code, message, data}`; the table below maps them. The
`client_request_id` goes out as `external_task_id`, which makes Kling the one provider where
a submit with an unknown outcome can be looked up instead of guessed about. No cancel API.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
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
from service.providers.http import (
    http_error,
    json_object,
    looks_like_policy,
    maybe_json,
    retry_after,
    send,
)
from service.providers.images import image_reference
from service.providers.jwt import kling_token
from shared.errors import ErrorCode
from shared.states import ProviderStatus

URL_LIFETIME = timedelta(days=30)
_TOKEN_TTL_S = 1800
_STATES = {
    "submitted": ProviderStatus.QUEUED,
    "processing": ProviderStatus.RUNNING,
    "succeed": ProviderStatus.SUCCEEDED,
    "failed": ProviderStatus.FAILED,
}


def _code_error(code: int, message: str, resp: httpx.Response, *, submit: bool) -> ProviderError:
    """Kling's business codes (providers.md 4.5) -> ProviderError."""
    common: dict[str, Any] = {"http_status": resp.status_code, "provider_code": str(code)}
    if 1000 <= code <= 1004:
        return ProviderError(
            ErrorCode.PROVIDER_ERROR, f"credentials refused: {message}", auth_failed=True, **common
        )
    if code in (1302, 1303):
        return ProviderError(
            ErrorCode.PROVIDER_RATE_LIMITED,
            message,
            transient=True,
            retry_after_s=retry_after(resp),
            **common,
        )
    if code in (1300, 1301):
        return ProviderError(ErrorCode.CONTENT_POLICY, message, **common)
    if code in (1200, 1201):
        return ProviderError(ErrorCode.INVALID_INPUT, message, **common)
    if code in (1202, 1203):  # method or resource (model, task) not found
        return ProviderError(
            ErrorCode.MODEL_UNAVAILABLE if submit else ErrorCode.PROVIDER_ERROR, message, **common
        )
    if code == 5002:
        return ProviderError(
            ErrorCode.PROVIDER_TIMEOUT, message, transient=True, outcome_unknown=submit, **common
        )
    if code in (5000, 5001):
        return ProviderError(
            ErrorCode.PROVIDER_ERROR,
            message,
            transient=True,
            retry_after_s=retry_after(resp),
            **common,
        )
    # 1100-1102 account/balance, 1103 permission, 1304 IP policy: a person must act.
    return ProviderError(ErrorCode.PROVIDER_ERROR, message, **common)


class KlingAdapter(ProviderAdapter):
    name = "kling"

    _token: str | None = None
    _token_expires: float = 0.0

    def _headers(self) -> dict[str, str]:
        now = time.time()
        if self._token is None or now > self._token_expires - 60:
            access = self.endpoint.key.get_secret_value()
            secret = (self.endpoint.secret_key or self.endpoint.key).get_secret_value()
            self._token = kling_token(access, secret, ttl_s=_TOKEN_TTL_S, now=now)
            self._token_expires = now + _TOKEN_TTL_S
        return {"Authorization": f"Bearer {self._token}"}

    async def _call(
        self, method: str, url: str, *, submit: bool = False, **kwargs: Any
    ) -> dict[str, Any]:
        resp = await send(
            self.client, method, url, submit=submit, headers=self._headers(), **kwargs
        )
        body = json_object(resp, submit=submit) if resp.is_success else maybe_json(resp)
        code = body.get("code")
        if resp.is_success and code == 0:
            data = body.get("data")
            if not isinstance(data, dict):
                raise ProviderError(
                    ErrorCode.PROVIDER_ERROR,
                    "answer lacks data",
                    transient=True,
                    outcome_unknown=submit,
                )
            return data
        message = str(body.get("message") or resp.reason_phrase)
        if isinstance(code, int):
            raise _code_error(code, message, resp, submit=submit)
        raise http_error(resp, message, submit=submit)

    def _handle(self, req_route: str, model: str, data: dict[str, Any]) -> ProviderHandle:
        task_id = str(data.get("task_id") or "")
        if not task_id:
            raise ProviderError(
                ErrorCode.PROVIDER_ERROR, "answer lacks task_id", outcome_unknown=True
            )
        info = data.get("task_info") or {}
        external = str(info.get("external_task_id") or "") if isinstance(info, dict) else ""
        return ProviderHandle(
            adapter="kling",
            route=req_route,
            provider_model=model,
            task_id=task_id,
            status_url=f"{self.endpoint.root}/v1/videos/image2video/{task_id}",
            submitted_at=datetime.now(UTC),
            extra={"external_task_id": external} if external else {},
        )

    async def _submit(self, req: SubmitRequest) -> ProviderHandle:
        model = req.route.provider_model
        params = dict(req.route.params)
        body: dict[str, Any] = {
            "model_name": model,
            "image": image_reference(req),
            "prompt": req.prompt,
            "duration": str(req.duration_s),
            "mode": params.pop("mode", "std"),
        }
        if "sound" in params:
            # The route says the model takes sound; the request says whether to make it.
            params.pop("sound")
            body["sound"] = "on" if req.audio else "off"
        if req.negative_prompt:
            body["negative_prompt"] = req.negative_prompt
        if req.client_request_id:
            body["external_task_id"] = req.client_request_id
        body |= params | req.options
        data = await self._call(
            "POST", f"{self.endpoint.root}/v1/videos/image2video", submit=True, json=body
        )
        return self._handle(req.route.name, model, data)

    async def lookup(self, req: SubmitRequest) -> ProviderHandle | None:
        if not req.client_request_id:
            return None
        try:
            data = await self._call(
                "GET", f"{self.endpoint.root}/v1/videos/image2video/{req.client_request_id}"
            )
        except ProviderError as exc:
            if exc.http_status == 404:
                return None  # not found: the submit never arrived
            raise
        return self._handle(req.route.name, req.route.provider_model, data)

    async def _poll(self, handle: ProviderHandle) -> ProviderUpdate:
        data = await self._call("GET", str(handle.status_url))
        raw = str(data.get("task_status"))
        status = _STATES.get(raw)
        if status is None:
            raise ProviderError(
                ErrorCode.PROVIDER_ERROR, f"unknown Kling status {raw!r}", transient=True
            )
        if status is not ProviderStatus.FAILED:
            progress = 100.0 if status is ProviderStatus.SUCCEEDED else None
            return ProviderUpdate(status=status, raw_status=raw, progress=progress)
        message = str(data.get("task_status_msg") or "generation failed")
        code = ErrorCode.CONTENT_POLICY if looks_like_policy(message) else ErrorCode.PROVIDER_ERROR
        return ProviderUpdate(status=status, raw_status=raw, error_code=code, error_message=message)

    async def _result(self, handle: ProviderHandle) -> ProviderResult:
        data = await self._call("GET", str(handle.status_url))
        result = data.get("task_result") or {}
        videos = result.get("videos") if isinstance(result, dict) else None
        urls = [str(v["url"]) for v in videos or [] if isinstance(v, dict) and v.get("url")]
        if data.get("task_status") != "succeed" or not urls:
            raise ProviderError(ErrorCode.PROVIDER_ERROR, "the task has no video")
        first = videos[0] if videos else {}
        try:
            duration: float | None = float(str(first.get("duration")))
        except ValueError:
            duration = None
        updated = data.get("updated_at")
        finished = (
            datetime.fromtimestamp(updated / 1000, UTC)
            if isinstance(updated, int | float)
            else datetime.now(UTC)
        )
        return ProviderResult(
            video_urls=urls,
            duration_s=duration,
            expires_at=finished + URL_LIFETIME,
            metadata={"units": data.get("final_unit_deduction")},
        )
