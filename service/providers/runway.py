"""Runway API adapter (providers.md section 6).

Every request names the API version. THROTTLED is Runway's "queued behind your own
concurrency limit", so it maps to queued. `progress` (0-1) exists only while RUNNING.
Output URLs expire within a day or two; `result` re-fetches the task, which re-signs them.
DELETE cancels an unfinished task (and deletes a finished one: never call it after success).
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
from service.providers.http import http_error, json_object, maybe_json, send
from service.providers.images import image_reference
from shared.errors import ErrorCode
from shared.states import ProviderStatus

API_VERSION = "2024-11-06"
URL_LIFETIME = timedelta(hours=24)
_STATES = {
    "PENDING": ProviderStatus.QUEUED,
    "THROTTLED": ProviderStatus.QUEUED,
    "RUNNING": ProviderStatus.RUNNING,
    "SUCCEEDED": ProviderStatus.SUCCEEDED,
    "FAILED": ProviderStatus.FAILED,
    "CANCELLED": ProviderStatus.CANCELLED,
}
# ratio by (aspect, resolution); Runway names output sizes in pixels.
_RATIOS: dict[str, dict[tuple[str, str], str]] = {
    "gen4_turbo": {
        ("16:9", "720p"): "1280:720",
        ("9:16", "720p"): "720:1280",
        ("1:1", "720p"): "960:960",
    },
    "veo3": {
        ("16:9", "720p"): "1280:720",
        ("9:16", "720p"): "720:1280",
        ("16:9", "1080p"): "1920:1080",
        ("9:16", "1080p"): "1080:1920",
    },
}


def ratio_for(model: str, aspect: str, resolution: str) -> str:
    table = _RATIOS["veo3" if model.startswith("veo3") else "gen4_turbo"]
    ratio = table.get((aspect, resolution))
    if ratio is None:
        raise ProviderError(
            ErrorCode.INVALID_INPUT, f"Runway {model} does not render {aspect} at {resolution}"
        )
    return ratio


def failure_code(code: str) -> ErrorCode:
    if code.startswith("SAFETY.") or code.startswith("INPUT_PREPROCESSING.SAFETY"):
        return ErrorCode.CONTENT_POLICY
    if code.startswith("ASSET.") or code.startswith("INPUT_PREPROCESSING."):
        return ErrorCode.INVALID_INPUT
    return ErrorCode.PROVIDER_ERROR


class RunwayAdapter(ProviderAdapter):
    name = "runway"
    supports_cancel = True

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.endpoint.key.get_secret_value()}",
            "X-Runway-Version": API_VERSION,
        }

    def _raise(self, resp: Any, *, submit: bool = False) -> ProviderError:
        body = maybe_json(resp)
        return http_error(resp, str(body.get("error") or resp.reason_phrase), submit=submit)

    async def _submit(self, req: SubmitRequest) -> ProviderHandle:
        model = req.route.provider_model
        body: dict[str, Any] = {
            "model": model,
            "promptImage": image_reference(req),
            "ratio": ratio_for(model, req.aspect_ratio, req.resolution),
            "duration": req.duration_s,
        }
        if req.prompt:
            body["promptText"] = req.prompt
        if req.seed is not None:
            body["seed"] = req.seed
        if model.startswith("veo3"):
            body["audio"] = req.audio
            if req.negative_prompt:
                body["negativePrompt"] = req.negative_prompt
        body |= req.route.params | req.options
        resp = await send(
            self.client,
            "POST",
            f"{self.endpoint.root}/v1/image_to_video",
            submit=True,
            json=body,
            headers=self._headers(),
        )
        if not resp.is_success:
            raise self._raise(resp, submit=True)
        task_id = json_object(resp, submit=True).get("id")
        if not task_id:
            raise ProviderError(
                ErrorCode.PROVIDER_ERROR, "submit answer lacks id", outcome_unknown=True
            )
        url = f"{self.endpoint.root}/v1/tasks/{task_id}"
        return ProviderHandle(
            adapter="runway",
            route=req.route.name,
            provider_model=model,
            task_id=str(task_id),
            status_url=url,
            cancel_url=url,
            submitted_at=datetime.now(UTC),
        )

    async def _task(self, handle: ProviderHandle) -> dict[str, Any]:
        resp = await send(self.client, "GET", str(handle.status_url), headers=self._headers())
        if not resp.is_success:
            raise self._raise(resp)
        return json_object(resp)

    async def _poll(self, handle: ProviderHandle) -> ProviderUpdate:
        task = await self._task(handle)
        raw = str(task.get("status"))
        status = _STATES.get(raw)
        if status is None:
            raise ProviderError(
                ErrorCode.PROVIDER_ERROR, f"unknown Runway status {raw!r}", transient=True
            )
        progress = task.get("progress")
        pct = (
            max(0.0, min(100.0, float(progress) * 100))
            if isinstance(progress, int | float)
            else None
        )
        if status is ProviderStatus.SUCCEEDED:
            pct = 100.0
        if status is not ProviderStatus.FAILED:
            return ProviderUpdate(status=status, raw_status=raw, progress=pct)
        code = str(task.get("failureCode") or "")
        return ProviderUpdate(
            status=status,
            raw_status=f"{raw}:{code}" if code else raw,
            error_code=failure_code(code),
            error_message=str(task.get("failure") or "generation failed"),
        )

    async def _result(self, handle: ProviderHandle) -> ProviderResult:
        task = await self._task(handle)
        output = [str(u) for u in task.get("output") or [] if u]
        if task.get("status") != "SUCCEEDED" or not output:
            raise ProviderError(ErrorCode.PROVIDER_ERROR, "the task has no output")
        return ProviderResult(video_urls=output, expires_at=datetime.now(UTC) + URL_LIFETIME)

    async def cancel(self, handle: ProviderHandle) -> bool:
        resp = await send(
            self.client,
            "DELETE",
            str(handle.cancel_url or handle.status_url),
            headers={**self._headers(), "Accept": "*/*"},
        )
        if resp.is_success:
            return True
        if resp.status_code == 404:
            return False
        raise self._raise(resp)
