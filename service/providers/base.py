"""The one interface every provider adapter implements, and the values that cross it.

The job runner's loop, in terms of this module:

    handle = await adapter.submit(req)        # persist handle.model_dump_json() at once
    update = await adapter.poll(handle)       # ProviderUpdate: normalised status + details
    result = await adapter.result(handle)     # once update.status is SUCCEEDED
    await adapter.cancel(handle)              # True if the provider accepted a cancel

Every failure is a `ProviderError` carrying a shared `ErrorCode`. A failed *task* is not an
exception: `poll` reports it as `ProviderUpdate(status=FAILED, error_code=...)`. Exceptions
mean the *call* failed: `transient` ones (rate limits, 5xx, timeouts) are worth retrying
after `retry_after_s`; `outcome_unknown` on submit means the request may have reached the
provider, so it must not be re-sent blindly (no provider has idempotency keys).
"""

from __future__ import annotations

import base64
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from shared.catalogue.schema import AdapterName, Route
from shared.errors import ErrorCode, ReelcraftError
from shared.states import ProviderStatus

log = logging.getLogger("service.providers")


class InputImage(BaseModel):
    """The character image, already validated and normalised by the media layer."""

    model_config = ConfigDict(frozen=True)

    data: bytes = Field(repr=False)
    mime_type: str = "image/png"
    public_url: str | None = Field(
        default=None, description="where the service serves these bytes, for URL transport"
    )

    def base64(self) -> str:
        return base64.b64encode(self.data).decode("ascii")

    def data_url(self) -> str:
        return f"data:{self.mime_type};base64,{self.base64()}"


class SubmitRequest(BaseModel):
    """One generation, as the service decided it (already quoted and validated)."""

    model_config = ConfigDict(frozen=True)

    route: Route
    prompt: str
    negative_prompt: str | None = None
    duration_s: int = Field(gt=0)
    resolution: str
    aspect_ratio: str = "16:9"
    audio: bool = True
    seed: int | None = None
    image: InputImage
    options: dict[str, str | int | float | bool] = Field(default_factory=dict)
    client_request_id: str | None = Field(
        default=None, description="sent where a provider accepts one (Kling external_task_id)"
    )


class ProviderHandle(BaseModel):
    """What must be persisted right after submit to find the task again after a restart."""

    adapter: AdapterName
    route: str
    provider_model: str
    task_id: str
    status_url: str | None = None
    result_url: str | None = None
    cancel_url: str | None = None
    submitted_at: datetime
    extra: dict[str, str] = Field(default_factory=dict)


class ProviderUpdate(BaseModel):
    status: ProviderStatus
    progress: float | None = Field(default=None, ge=0, le=100, description="only if reported")
    raw_status: str
    queue_position: int | None = None
    logs: list[str] = Field(default_factory=list)
    error_code: ErrorCode | None = None
    error_message: str | None = None

    @property
    def terminal(self) -> bool:
        return self.status in (
            ProviderStatus.SUCCEEDED,
            ProviderStatus.FAILED,
            ProviderStatus.CANCELLED,
        )


class ProviderResult(BaseModel):
    """Where the finished video is. `download_headers` (e.g. Gemini's key) are excluded from
    every dump and repr: pass `auth_headers()` to the download and never store them."""

    video_urls: list[str] = Field(min_length=1)
    download_headers: dict[str, SecretStr] = Field(default_factory=dict, exclude=True, repr=False)
    expires_at: datetime | None = None
    content_type: str = "video/mp4"
    size_bytes: int | None = None
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def video_url(self) -> str:
        return self.video_urls[0]

    def auth_headers(self) -> dict[str, str]:
        return {k: v.get_secret_value() for k, v in self.download_headers.items()}


class ProviderError(ReelcraftError):
    """A provider call failed. See the module docstring for `transient`/`outcome_unknown`."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        transient: bool = False,
        retry_after_s: float | None = None,
        outcome_unknown: bool = False,
        auth_failed: bool = False,
        http_status: int | None = None,
        provider_code: str | None = None,
    ) -> None:
        detail: dict[str, object] = {"transient": transient}
        if http_status is not None:
            detail["http_status"] = http_status
        if provider_code:
            detail["provider_code"] = provider_code
        super().__init__(code, message, detail=detail)
        self.transient = transient
        self.retry_after_s = retry_after_s
        self.outcome_unknown = outcome_unknown
        self.auth_failed = auth_failed
        self.http_status = http_status
        self.provider_code = provider_code


class EndpointConfig(BaseModel):
    """Where one provider lives and the credential it takes (Kling: access + secret key)."""

    base_url: str
    key: SecretStr
    secret_key: SecretStr | None = None

    @property
    def root(self) -> str:
        return self.base_url.rstrip("/")


class ProviderAdapter(ABC):
    """Subclasses implement `_submit`, `_poll`, `_result` (and `cancel`, `lookup`, `stream`
    where the provider has them); the public methods add the one log line per event."""

    name: ClassVar[AdapterName]
    supports_cancel: ClassVar[bool] = False
    supports_stream: ClassVar[bool] = False

    def __init__(self, client: httpx.AsyncClient, endpoint: EndpointConfig) -> None:
        self.client = client
        self.endpoint = endpoint

    async def submit(self, req: SubmitRequest) -> ProviderHandle:
        try:
            handle = await self._submit(req)
        except ProviderError as exc:
            log.warning(
                "%s: submit to %s failed: %s (transient=%s, outcome_unknown=%s)",
                self.name,
                req.route.provider_model,
                exc,
                exc.transient,
                exc.outcome_unknown,
            )
            raise
        log.info("%s: submitted %s as task %s", self.name, handle.provider_model, handle.task_id)
        return handle

    async def poll(self, handle: ProviderHandle) -> ProviderUpdate:
        try:
            update = await self._poll(handle)
        except ProviderError as exc:
            log.warning("%s: poll of %s failed: %s", self.name, handle.task_id, exc)
            raise
        if update.terminal:
            log.info(
                "%s: task %s %s (%s)%s",
                self.name,
                handle.task_id,
                update.status.value,
                update.raw_status,
                f": {update.error_code.value}" if update.error_code else "",
            )
        return update

    async def result(self, handle: ProviderHandle) -> ProviderResult:
        try:
            return await self._result(handle)
        except ProviderError as exc:
            log.warning("%s: result of %s failed: %s", self.name, handle.task_id, exc)
            raise

    @abstractmethod
    async def _submit(self, req: SubmitRequest) -> ProviderHandle: ...

    @abstractmethod
    async def _poll(self, handle: ProviderHandle) -> ProviderUpdate: ...

    @abstractmethod
    async def _result(self, handle: ProviderHandle) -> ProviderResult: ...

    async def cancel(self, handle: ProviderHandle) -> bool:
        """Ask the provider to stop; False when it has no cancel API (stop polling instead)."""
        return False

    async def lookup(self, req: SubmitRequest) -> ProviderHandle | None:
        """Find the task a submit with an unknown outcome may have created, where the
        provider allows it (by `client_request_id`); None if it cannot tell."""
        return None

    def stream(self, handle: ProviderHandle) -> AsyncIterator[ProviderUpdate]:
        """Status updates pushed by the provider until a terminal one (fal only)."""
        raise NotImplementedError(f"{self.name} has no status stream; poll instead")
