"""`ServiceClient`: typed async methods over httpx for every `/api/v1` endpoint."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import httpx
from pydantic import BaseModel, TypeAdapter

from shared.api_schemas import (
    API_PREFIX,
    GenerationEvent,
    GenerationPage,
    Health,
    ModelsResponse,
    QuoteBody,
    StreamEvent,
    TrackingEvent,
)
from shared.errors import ErrorCode, ReelcraftError
from shared.media_schemas import InputImage
from shared.schemas import ErrorBody, Generation, GenerationRequest, Quote
from shared.states import JobState, PostState

T = TypeVar("T", bound=BaseModel)


class ServiceUnreachable(ReelcraftError):
    """The service did not answer (not running, restarting, or the network is down)."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.INTERNAL, message)


class ServiceClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._http = httpx.AsyncClient(
            base_url=self.base_url + API_PREFIX,
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(timeout, connect=5.0),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> ServiceClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def auth_headers(self) -> dict[str, str]:
        """For components that fetch URLs themselves (the media player)."""
        return {"Authorization": f"Bearer {self._token}"}

    def url(self, path: str) -> str:
        return f"{self.base_url}{API_PREFIX}{path}"

    # -- plumbing ---------------------------------------------------------------------------

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ServiceUnreachable(f"service at {self.base_url} unreachable: {exc}") from exc
        if response.status_code >= 400:
            raise _error_from(response)
        return response

    async def _get(self, path: str, schema: type[T], **params: Any) -> T:
        response = await self._request("GET", path, params=_clean(params))
        return schema.model_validate_json(response.content)

    async def _post(self, path: str, schema: type[T], body: Any = None, **kw: Any) -> T:
        response = await self._request("POST", path, json=body, **kw)
        return schema.model_validate_json(response.content)

    # -- catalogue and prices ---------------------------------------------------------------

    async def health(self) -> Health:
        return await self._get("/health", Health)

    async def models(self, price_book: str | None = None) -> ModelsResponse:
        return await self._get("/models", ModelsResponse, price_book=price_book)

    async def quote(self, body: QuoteBody) -> Quote:
        return await self._post("/quotes", Quote, body.model_dump(mode="json"))

    # -- inputs -----------------------------------------------------------------------------

    async def upload_input(self, data: bytes, filename: str = "") -> InputImage:
        response = await self._request(
            "POST",
            "/inputs",
            content=data,
            headers={"Content-Type": "application/octet-stream", "X-Filename": filename},
        )
        return InputImage.model_validate_json(response.content)

    async def upload_input_file(self, path: Path) -> InputImage:
        return await self.upload_input(path.read_bytes(), path.name)

    async def inputs(self, limit: int = 50) -> list[InputImage]:
        response = await self._request("GET", "/inputs", params={"limit": limit})
        return TypeAdapter(list[InputImage]).validate_json(response.content)

    async def input_image(self, sha256: str) -> bytes:
        return (await self._request("GET", f"/inputs/{sha256}")).content

    # -- generations ------------------------------------------------------------------------

    async def create_generation(self, request: GenerationRequest) -> Generation:
        return await self._post(
            "/generations",
            Generation,
            request.model_dump(mode="json", exclude_none=True),
            headers={"Idempotency-Key": str(request.client_request_id)},
        )

    async def generations(
        self,
        *,
        state: list[JobState] | None = None,
        post_state: list[PostState] | None = None,
        model: str | None = None,
        cursor: str | None = None,
        limit: int = 20,
        user: str | None = None,
    ) -> GenerationPage:
        params: dict[str, Any] = {"cursor": cursor, "limit": limit, "model": model, "user": user}
        if state:
            params["state"] = [s.value for s in state]
        if post_state:
            params["post_state"] = [s.value for s in post_state]
        return await self._get("/generations", GenerationPage, **params)

    async def generation(self, generation_id: UUID | str) -> Generation:
        return await self._get(f"/generations/{generation_id}", Generation)

    async def timeline(self, generation_id: UUID | str) -> list[GenerationEvent]:
        response = await self._request("GET", f"/generations/{generation_id}/events")
        return TypeAdapter(list[GenerationEvent]).validate_json(response.content)

    async def _act(self, generation_id: UUID | str, action: str, **kw: Any) -> Generation:
        return await self._post(f"/generations/{generation_id}/{action}", Generation, **kw)

    async def cancel(self, generation_id: UUID | str) -> Generation:
        return await self._act(generation_id, "cancel")

    async def regenerate(self, generation_id: UUID | str, idempotency_key: str) -> Generation:
        return await self._act(
            generation_id, "regenerate", headers={"Idempotency-Key": idempotency_key}
        )

    async def discard(self, generation_id: UUID | str) -> Generation:
        return await self._act(generation_id, "discard")

    async def publish(self, generation_id: UUID | str) -> Generation:
        return await self._act(generation_id, "publish")

    def video_url(self, generation_id: UUID | str) -> str:
        return self.url(f"/generations/{generation_id}/video")

    def thumbnail_url(self, generation_id: UUID | str, size: str = "large") -> str:
        return self.url(f"/generations/{generation_id}/thumbnail?size={size}")

    async def download_video(self, generation_id: UUID | str, target: Path) -> int:
        """Stream the cached video to `target` atomically; returns the byte count."""
        partial = target.with_name(target.name + ".part")
        written = 0
        try:
            async with self._http.stream("GET", f"/generations/{generation_id}/video") as resp:
                if resp.status_code >= 400:
                    await resp.aread()
                    raise _error_from(resp)
                with partial.open("wb") as out:
                    async for chunk in resp.aiter_bytes(1 << 20):
                        out.write(chunk)
                        written += len(chunk)
        except httpx.TransportError as exc:
            partial.unlink(missing_ok=True)
            raise ServiceUnreachable(f"download interrupted: {exc}") from exc
        partial.replace(target)
        return written

    async def thumbnail(self, generation_id: UUID | str, size: str = "large") -> bytes:
        path = f"/generations/{generation_id}/thumbnail"
        return (await self._request("GET", path, params={"size": size})).content

    # -- credits (bodies defined by the ledger: shared.ledger_schemas) ----------------------

    async def get_json(self, path: str, **params: Any) -> Any:
        return (await self._request("GET", path, params=_clean(params))).json()

    async def patch_json(self, path: str, body: Any = None, **kw: Any) -> Any:
        return (await self._request("PATCH", path, json=body, **kw)).json()

    async def post_json(self, path: str, body: Any = None, **kw: Any) -> Any:
        return (await self._request("POST", path, json=body, **kw)).json()

    # -- analytics --------------------------------------------------------------------------

    async def track(self, name: str, **data: Any) -> None:
        event = TrackingEvent(name=name, data=data)
        await self._request("POST", "/analytics/events", json=event.model_dump(mode="json"))

    # -- the event stream -------------------------------------------------------------------

    async def stream_events(self) -> AsyncIterator[StreamEvent]:
        """Server-sent events until the connection ends (callers reconnect)."""
        try:
            async with self._http.stream(
                "GET", "/events", timeout=httpx.Timeout(None, connect=5.0)
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise _error_from(response)
                event_type, data_lines = "", []
                async for line in response.aiter_lines():
                    if line.startswith("event:"):
                        event_type = line[6:].strip()
                    elif line.startswith("data:"):
                        data_lines.append(line[5:].strip())
                    elif line == "" and data_lines:
                        payload = json.loads("\n".join(data_lines))
                        yield StreamEvent.model_validate({"type": event_type, "data": payload})
                        event_type, data_lines = "", []
        except httpx.TransportError as exc:
            raise ServiceUnreachable(f"event stream ended: {exc}") from exc


def _clean(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


def _error_from(response: httpx.Response) -> ReelcraftError:
    try:
        body = ErrorBody.model_validate_json(response.content)
        return ReelcraftError(body.code, body.message, detail=body.detail)
    except ValueError:
        text = response.text[:200] if response.content else response.reason_phrase
        return ReelcraftError(ErrorCode.INTERNAL, f"HTTP {response.status_code}: {text}")
