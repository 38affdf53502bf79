"""Gemini API Veo adapter (providers.md section 3.1): long-running operations.

The operation says only `done` or not, so an unfinished one is reported as running with no
progress. A done operation with no samples but `raiMediaFilteredCount` was blocked by the
safety filters: a content_policy failure (Google does not charge for it). The video URI
needs the API key, so the result carries it as a download header, never in the URL.
Google's errors are `{"error": {code, message, status, details}}`; a wrong key is a 400
with reason API_KEY_INVALID, and a 429 says when to retry in a RetryInfo detail.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from service.providers.base import (
    ProviderAdapter,
    ProviderError,
    ProviderHandle,
    ProviderResult,
    ProviderUpdate,
    SubmitRequest,
)
from service.providers.http import http_error, json_object, looks_like_policy, maybe_json, send
from shared.errors import ErrorCode
from shared.states import ProviderStatus

FILE_LIFETIME = timedelta(days=2)
# google.rpc.Code values an operation error can carry.
_RPC_CODES: dict[int, ErrorCode] = {
    3: ErrorCode.INVALID_INPUT,
    4: ErrorCode.PROVIDER_TIMEOUT,
    8: ErrorCode.PROVIDER_RATE_LIMITED,
    1: ErrorCode.CANCELLED,
}


def _google_error(resp: httpx.Response, *, submit: bool = False) -> ProviderError:
    error = maybe_json(resp).get("error")
    error = error if isinstance(error, dict) else {}
    message = str(error.get("message") or resp.reason_phrase)
    details = [d for d in error.get("details") or [] if isinstance(d, dict)]
    if any(d.get("reason") == "API_KEY_INVALID" for d in details):
        return ProviderError(
            ErrorCode.PROVIDER_ERROR,
            f"credentials refused: {message}",
            auth_failed=True,
            http_status=resp.status_code,
            provider_code="API_KEY_INVALID",
        )
    wait = None
    for detail in details:
        delay = detail.get("retryDelay")
        if isinstance(delay, str) and delay.endswith("s"):
            with contextlib.suppress(ValueError):
                wait = float(delay[:-1])
    return http_error(
        resp,
        message,
        submit=submit,
        retry_after_s=wait,
        provider_code=str(error.get("status") or "") or None,
    )


class GeminiAdapter(ProviderAdapter):
    name = "gemini"

    def _headers(self) -> dict[str, str]:
        return {"x-goog-api-key": self.endpoint.key.get_secret_value()}

    async def _submit(self, req: SubmitRequest) -> ProviderHandle:
        model = req.route.provider_model
        params: dict[str, Any] = {
            "aspectRatio": req.aspect_ratio,
            "durationSeconds": req.duration_s,
            "resolution": req.resolution,
            "personGeneration": "allow_adult",
            "sampleCount": 1,
        }
        if req.negative_prompt:
            params["negativePrompt"] = req.negative_prompt
        # The Gemini API takes no seed and no audio switch (Veo 3.1 always has sound).
        params |= req.route.params | req.options
        body = {
            "instances": [
                {
                    "prompt": req.prompt,
                    "image": {
                        "bytesBase64Encoded": req.image.base64(),
                        "mimeType": req.image.mime_type,
                    },
                }
            ],
            "parameters": params,
        }
        url = f"{self.endpoint.root}/v1beta/models/{model}:predictLongRunning"
        resp = await send(self.client, "POST", url, submit=True, json=body, headers=self._headers())
        if not resp.is_success:
            raise _google_error(resp, submit=True)
        name = json_object(resp, submit=True).get("name")
        if not isinstance(name, str) or "/operations/" not in name:
            raise ProviderError(
                ErrorCode.PROVIDER_ERROR, "submit answer lacks the operation", outcome_unknown=True
            )
        return ProviderHandle(
            adapter="gemini",
            route=req.route.name,
            provider_model=model,
            task_id=name,
            status_url=f"{self.endpoint.root}/v1beta/{name}",
            submitted_at=datetime.now(UTC),
        )

    async def _operation(self, handle: ProviderHandle) -> dict[str, Any]:
        resp = await send(self.client, "GET", str(handle.status_url), headers=self._headers())
        if not resp.is_success:
            raise _google_error(resp)
        return json_object(resp)

    async def _poll(self, handle: ProviderHandle) -> ProviderUpdate:
        op = await self._operation(handle)
        if not op.get("done"):
            return ProviderUpdate(status=ProviderStatus.RUNNING, raw_status="done=false")
        error = op.get("error")
        if isinstance(error, dict):
            message = str(error.get("message") or "the operation failed")
            rpc = error.get("code")
            code = _RPC_CODES.get(rpc if isinstance(rpc, int) else -1, ErrorCode.PROVIDER_ERROR)
            if looks_like_policy(message):
                code = ErrorCode.CONTENT_POLICY
            status = (
                ProviderStatus.CANCELLED if code is ErrorCode.CANCELLED else ProviderStatus.FAILED
            )
            return ProviderUpdate(
                status=status, raw_status=f"error:{rpc}", error_code=code, error_message=message
            )
        samples, filtered, reasons = _samples(op)
        if samples:
            return ProviderUpdate(status=ProviderStatus.SUCCEEDED, raw_status="done", progress=100)
        message = "; ".join(reasons) or "no video was returned"
        code = ErrorCode.CONTENT_POLICY if filtered or reasons else ErrorCode.PROVIDER_ERROR
        return ProviderUpdate(
            status=ProviderStatus.FAILED,
            raw_status="done:rai_filtered" if filtered else "done:no_samples",
            error_code=code,
            error_message=message,
        )

    async def _result(self, handle: ProviderHandle) -> ProviderResult:
        op = await self._operation(handle)
        samples, _, reasons = _samples(op)
        if not op.get("done") or not samples:
            code = ErrorCode.CONTENT_POLICY if reasons else ErrorCode.PROVIDER_ERROR
            raise ProviderError(code, "; ".join(reasons) or "the operation has no video")
        return ProviderResult(
            video_urls=samples,
            download_headers={"x-goog-api-key": SecretStr(self.endpoint.key.get_secret_value())},
            expires_at=datetime.now(UTC) + FILE_LIFETIME,
        )


def _samples(op: dict[str, Any]) -> tuple[list[str], int, list[str]]:
    """(video URIs, filtered count, filter reasons) of a done operation."""
    response = op.get("response") or {}
    gvr = response.get("generateVideoResponse") or {} if isinstance(response, dict) else {}
    if not isinstance(gvr, dict):
        return [], 0, []
    uris = [
        str(s["video"]["uri"])
        for s in gvr.get("generatedSamples") or []
        if isinstance(s, dict) and isinstance(s.get("video"), dict) and s["video"].get("uri")
    ]
    filtered = gvr.get("raiMediaFilteredCount") or 0
    reasons = [str(r) for r in gvr.get("raiMediaFilteredReasons") or []]
    return uris, int(filtered) if isinstance(filtered, int) else 0, reasons
