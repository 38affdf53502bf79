"""Kie AI Market jobs adapter (providers.md section 2).

Kie reports errors in the envelope `code` (the HTTP status may say 200), spells the message
`msg` or `message`, and returns `resultJson` as a JSON string. Input names differ per
model (`image_url` vs `image_urls`, `duration` vs Sora's `n_frames`), hence the table.
No progress, no cancel; result URLs are good for about a day.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from service.providers.base import (
    ProviderAdapter,
    ProviderError,
    ProviderHandle,
    ProviderResult,
    ProviderUpdate,
    SubmitRequest,
)
from service.providers.http import (
    json_object,
    looks_like_policy,
    maybe_json,
    retry_after,
    send,
    status_error,
)
from service.providers.images import image_reference
from shared.errors import ErrorCode
from shared.states import ProviderStatus

URL_LIFETIME = timedelta(hours=24)


@dataclass(frozen=True)
class KieModel:
    image_list: bool
    duration_field: str = "duration"
    sora_aspect: bool = False
    audio_field: str | None = None
    negative_prompt: bool = False


def model_for(provider_model: str) -> KieModel:
    if provider_model.startswith("sora-2"):
        return KieModel(True, "n_frames", sora_aspect=True)
    if provider_model.startswith("kling-2.6/"):
        return KieModel(True, audio_field="sound")
    if provider_model.startswith("kling/"):
        return KieModel(False, negative_prompt=True)
    raise ProviderError(
        ErrorCode.MODEL_UNAVAILABLE, f"kie adapter has no mapping for {provider_model}"
    )


_STATES = {
    "waiting": ProviderStatus.QUEUED,
    "queuing": ProviderStatus.QUEUED,
    "generating": ProviderStatus.RUNNING,
    "success": ProviderStatus.SUCCEEDED,
    "fail": ProviderStatus.FAILED,
}


class KieAdapter(ProviderAdapter):
    name = "kie"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.endpoint.key.get_secret_value()}"}

    async def _call(
        self, method: str, url: str, *, submit: bool = False, **kwargs: Any
    ) -> dict[str, Any]:
        resp = await send(
            self.client, method, url, submit=submit, headers=self._headers(), **kwargs
        )
        body = json_object(resp, submit=submit) if resp.is_success else maybe_json(resp)
        code = body.get("code", resp.status_code)
        code = int(code) if isinstance(code, int | str) and str(code).isdigit() else 500
        if resp.is_success and code == 200:
            return body
        message = str(body.get("msg") or body.get("message") or resp.reason_phrase)
        status = code if code != 200 else resp.status_code
        if status == 402:
            raise ProviderError(
                ErrorCode.PROVIDER_ERROR,
                f"Kie account: {message}",
                http_status=status,
                provider_code="402",
            )
        if status == 455:
            status = 503  # maintenance: come back later
        raise status_error(
            status, message, submit=submit, provider_code=str(code), retry_after_s=retry_after(resp)
        )

    async def _submit(self, req: SubmitRequest) -> ProviderHandle:
        model = req.route.provider_model
        spec = model_for(model)
        image = image_reference(req)
        inputs: dict[str, Any] = {"prompt": req.prompt, spec.duration_field: str(req.duration_s)}
        if spec.image_list:
            inputs["image_urls"] = [image]
        else:
            inputs["image_url"] = image
        if spec.sora_aspect:
            inputs["aspect_ratio"] = "portrait" if req.aspect_ratio == "9:16" else "landscape"
            inputs["remove_watermark"] = True
        if spec.audio_field:
            inputs[spec.audio_field] = req.audio
        if spec.negative_prompt and req.negative_prompt:
            inputs["negative_prompt"] = req.negative_prompt
        inputs |= req.route.params | req.options
        body = await self._call(
            "POST",
            f"{self.endpoint.root}/api/v1/jobs/createTask",
            submit=True,
            json={"model": model, "input": inputs},
        )
        data = body.get("data")
        if not isinstance(data, dict) or not data.get("taskId"):
            raise ProviderError(
                ErrorCode.PROVIDER_ERROR, "submit answer lacks taskId", outcome_unknown=True
            )
        task_id = str(data["taskId"])
        return ProviderHandle(
            adapter="kie",
            route=req.route.name,
            provider_model=model,
            task_id=task_id,
            status_url=f"{self.endpoint.root}/api/v1/jobs/recordInfo?taskId={quote(task_id)}",
            submitted_at=datetime.now(UTC),
        )

    async def _record(self, handle: ProviderHandle) -> dict[str, Any]:
        body = await self._call("GET", str(handle.status_url))
        data = body.get("data")
        if not isinstance(data, dict):
            raise ProviderError(ErrorCode.PROVIDER_ERROR, "task record missing", transient=True)
        return data

    async def _poll(self, handle: ProviderHandle) -> ProviderUpdate:
        data = await self._record(handle)
        raw = str(data.get("state"))
        status = _STATES.get(raw)
        if status is None:
            raise ProviderError(
                ErrorCode.PROVIDER_ERROR, f"unknown Kie state {raw!r}", transient=True
            )
        if status is not ProviderStatus.FAILED:
            progress = 100.0 if status is ProviderStatus.SUCCEEDED else None
            return ProviderUpdate(status=status, raw_status=raw, progress=progress)
        message = str(data.get("failMsg") or "generation failed")
        code = ErrorCode.CONTENT_POLICY if looks_like_policy(message) else ErrorCode.PROVIDER_ERROR
        return ProviderUpdate(
            status=status,
            raw_status=f"fail:{data.get('failCode') or ''}",
            error_code=code,
            error_message=message,
        )

    async def _result(self, handle: ProviderHandle) -> ProviderResult:
        data = await self._record(handle)
        try:
            parsed = json.loads(data.get("resultJson") or "{}")
            urls = [str(u) for u in parsed.get("resultUrls") or []]
        except (ValueError, AttributeError):
            urls = []
        if data.get("state") != "success" or not urls:
            raise ProviderError(ErrorCode.PROVIDER_ERROR, "the task has no result yet")
        done = data.get("completeTime")
        finished = (
            datetime.fromtimestamp(done / 1000, UTC)
            if isinstance(done, int | float)
            else datetime.now(UTC)
        )
        return ProviderResult(
            video_urls=urls,
            expires_at=finished + URL_LIFETIME,
            metadata={"cost_time_ms": data.get("costTime")},
        )
