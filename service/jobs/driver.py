"""Drives one generation from wherever it is to a terminal state (SPEC 5).

Each step reads the row, does the slow work, then records the outcome with a compare-and-set
transition, so a cancel or another process winning a race is noticed rather than overwritten.
The ledger decides races about money: capture and release are idempotent and mutually
exclusive per job.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from sqlalchemy import func, select

from service.jobs.breaker import CircuitBreaker
from service.jobs.engine import CreditsLedger, JobEngine
from service.jobs.policy import RETRYABLE_RENDER_ERRORS, RunnerPolicy
from service.jobs.transitions import Transitions
from service.providers.base import (
    InputImage,
    ProviderAdapter,
    ProviderError,
    ProviderHandle,
    ProviderResult,
    ProviderUpdate,
    SubmitRequest,
)
from service.storage.tables import GenerationEventRow, GenerationRow
from shared.catalogue import Catalogue
from shared.errors import ErrorCode, ReelcraftError
from shared.ledger_schemas import ReservationStatus
from shared.schemas import GenerationRequest
from shared.states import JobState, ProviderStatus

log = logging.getLogger(__name__)


class ResultFetcher(Protocol):
    """The media cache: download, verify and keep a result; returns the file's sha256."""

    async def fetch_result(self, result: ProviderResult) -> str: ...


class InputSource(Protocol):
    async def submit_image(
        self, sha256: str, transport: str, aspect_ratio: str = ""
    ) -> InputImage: ...


@dataclass
class JobDriver:
    engine: JobEngine
    catalogue: Catalogue
    transitions: Transitions
    ledger: CreditsLedger
    breaker: CircuitBreaker
    adapters: Callable[[str], ProviderAdapter]
    media: ResultFetcher
    inputs: InputSource
    policy: RunnerPolicy
    _submit_slots: asyncio.Semaphore | None = None

    async def __call__(self, generation_id: str) -> None:
        row = await self._row(generation_id)
        if row is None or JobState(row.state).is_terminal:
            return
        if await self._settled_by_ledger(row):
            return
        while True:
            row = await self._row(generation_id)
            if row is None or JobState(row.state).is_terminal:
                return
            state = JobState(row.state)
            if state is JobState.QUEUED:
                if self._submit_slots is None:
                    self._submit_slots = asyncio.Semaphore(self.policy.max_concurrent_submits)
                async with self._submit_slots:
                    await self._submit(row)
            elif state is JobState.SUBMITTING:
                await self._orphaned_submit(row)
            elif state is JobState.RUNNING:
                await self._watch(row)
            elif state is JobState.DOWNLOADING:
                await self._download(row)

    async def _row(self, generation_id: str) -> GenerationRow | None:
        async with self.engine.sessions() as session:
            return await session.get(GenerationRow, generation_id)

    # -- money decides: finishing what a crash interrupted -----------------------------------

    async def _settled_by_ledger(self, row: GenerationRow) -> bool:
        """A crash can fall between resolving the credits and recording the outcome. The
        ledger is the truth: captured means the video was verified (its hash is stored
        before capture), released means the job ended without a charge."""
        status = await self.ledger.reservation_status(row.id)
        if status is ReservationStatus.CAPTURED and row.media_sha256:
            await self._ready(row, row.media_sha256, "recovered after a restart")
            return True
        if status is ReservationStatus.RELEASED:
            if row.error_code and row.error_code != ErrorCode.CANCELLED.value:
                await self.transitions.move(
                    row.id,
                    JobState.FAILED,
                    f"{row.error_code}: {row.error_message}; credits refunded (recovered)",
                )
            else:
                await self.transitions.move(
                    row.id,
                    JobState.CANCELLED,
                    "cancelled; credits refunded (recovered)",
                    error_code=ErrorCode.CANCELLED.value,
                    error_message=row.error_message or "Cancelled.",
                )
            return True
        return False

    # -- failure and refund -----------------------------------------------------------------

    async def _fail(self, row: GenerationRow, code: ErrorCode, message: str) -> None:
        """Record why, refund (exactly once, by the ledger), then record the failure."""
        await self.transitions.note(
            row.id, "", publish=False, error_code=code.value, error_message=message
        )
        released = await self.ledger.release_for_job(job_id=row.id, reason=code.value)
        if not released:
            fresh = await self._row(row.id)
            if fresh is not None and fresh.media_sha256:
                log.warning("generation %s: credits already captured; finishing it", row.id)
                await self._ready(fresh, fresh.media_sha256, "the video was already verified")
                return
        await self.transitions.move(
            row.id,
            JobState.FAILED,
            f"{code.value}: {message}; credits refunded",
            error_code=code.value,
            error_message=message,
        )

    async def _cancelled_by_provider(self, row: GenerationRow, update: ProviderUpdate) -> None:
        await self.ledger.release_for_job(job_id=row.id, reason="cancelled")
        await self.transitions.move(
            row.id,
            JobState.CANCELLED,
            f"the provider cancelled the task ({update.raw_status}); credits refunded",
            error_code=ErrorCode.CANCELLED.value,
            error_message=update.error_message or "Cancelled by the provider.",
        )

    # -- submit -----------------------------------------------------------------------------

    def _pick_route(self, row: GenerationRow, request: GenerationRequest, tried: set[str]) -> str:
        model = self.catalogue.model(row.model)
        preferred = [r.name for r in model.routes]
        order = ([row.route] if row.route else []) + [n for n in preferred if n != row.route]
        for name in order:
            if name in tried:
                continue
            route = model.route(name)
            if route.rejects(request.duration_s, request.resolution or "") is not None:
                continue
            if not self.breaker.allows(model.id, name):
                continue
            return name
        raise ReelcraftError(ErrorCode.MODEL_UNAVAILABLE, f"no route of {model.label} is available")

    async def _submit(self, row: GenerationRow) -> None:
        request = GenerationRequest.model_validate(row.request)
        model = self.catalogue.model(row.model)
        tried: set[str] = set()
        while True:
            try:
                route_name = self._pick_route(row, request, tried)
            except ReelcraftError as exc:
                await self._fail(row, exc.code, exc.message)
                return
            tried.add(route_name)
            route = model.route(route_name)
            moved = await self.transitions.move(
                row.id,
                JobState.SUBMITTING,
                f"submitting to {route.adapter} ({route.provider_model})",
                allowed_from={JobState.QUEUED},
                route=route_name,
            )
            if moved is None:
                return  # cancelled meanwhile
            adapter = self.adapters(route.adapter)
            try:
                image = await self.inputs.submit_image(
                    request.input_image_sha256, route.image_transport, request.aspect_ratio
                )
                submit = SubmitRequest(
                    route=route,
                    prompt=request.prompt_sent or request.prompt,
                    negative_prompt=request.negative_prompt or None,
                    duration_s=request.duration_s,
                    resolution=request.resolution or route.resolutions[0],
                    aspect_ratio=request.aspect_ratio,
                    audio=request.audio,
                    seed=request.seed,
                    options=request.options,
                    image=image,
                    client_request_id=row.id,
                )
                handle = await self._with_transient_retries(partial(adapter.submit, submit))
            except ProviderError as exc:
                if exc.outcome_unknown:
                    found = await self._lookup(adapter, submit)
                    if found is not None:
                        await self._running(row, found)
                        return
                    await self._fail(
                        row,
                        ErrorCode.PROVIDER_ERROR,
                        "the provider's answer to the submit was lost; not repeated to avoid "
                        "a double render",
                    )
                    return
                if exc.transient or exc.code is ErrorCode.MODEL_UNAVAILABLE:
                    self.breaker.record_failure(model.id, route_name)
                    await self.transitions.move(
                        row.id,
                        JobState.QUEUED,
                        f"route {route_name} failed ({exc.message}); failing over",
                        allowed_from={JobState.SUBMITTING},
                    )
                    continue
                await self._fail(row, exc.code, exc.message)
                return
            except ReelcraftError as exc:
                await self._fail(row, exc.code, exc.message)
                return
            await self._running(row, handle)
            return

    async def _running(self, row: GenerationRow, handle: ProviderHandle) -> None:
        # The provider handle is persisted before anything else happens (SPEC 5).
        await self.transitions.move(
            row.id,
            JobState.RUNNING,
            f"submitted: {handle.adapter} task {handle.task_id}",
            allowed_from={JobState.SUBMITTING},
            provider_task_id=handle.task_id,
            provider_handle=handle.model_dump(mode="json"),
            provider_status="submitted",
            progress=0.0,
        )

    async def _lookup(
        self, adapter: ProviderAdapter, submit: SubmitRequest
    ) -> ProviderHandle | None:
        try:
            return await adapter.lookup(submit)
        except ProviderError:
            return None

    async def _orphaned_submit(self, row: GenerationRow) -> None:
        """Found mid-submit after a restart: the provider may or may not have the task."""
        await self._fail(
            row,
            ErrorCode.PROVIDER_ERROR,
            "the service stopped while submitting; not repeated to avoid a double render",
        )

    async def _with_transient_retries(self, call: Any) -> Any:
        attempt = 0
        while True:
            try:
                return await call()
            except ProviderError as exc:
                if (
                    not exc.transient
                    or exc.outcome_unknown
                    or attempt >= self.policy.transient_retries
                ):
                    raise
                await asyncio.sleep(self.policy.transient_delay(attempt, exc.retry_after_s))
                attempt += 1

    # -- watch ------------------------------------------------------------------------------

    async def _updates(
        self, adapter: ProviderAdapter, handle: ProviderHandle
    ) -> AsyncIterator[ProviderUpdate]:
        """Pushed updates where the provider streams them (fal), else polling with backoff.
        A broken stream falls back to polling; poll errors that stay transient are retried."""
        if adapter.supports_stream:
            try:
                async for update in adapter.stream(handle):
                    yield update
                    if update.terminal:
                        return
            except ProviderError as exc:
                log.info("status stream of %s ended (%s); polling", handle.task_id, exc.message)
        delay: float | None = None
        while True:
            yield await self._with_transient_retries(lambda: adapter.poll(handle))
            delay = self.policy.next_poll_delay(delay)
            await asyncio.sleep(delay)

    async def _watch(self, row: GenerationRow) -> None:
        assert row.provider_handle is not None
        handle = ProviderHandle.model_validate(row.provider_handle)
        adapter = self.adapters(handle.adapter)
        loop = asyncio.get_running_loop()
        deadline_soft = loop.time() + self.policy.soft_timeout_s
        deadline_hard = loop.time() + self.policy.hard_timeout_s
        last = (row.provider_status, row.progress)
        try:
            async with asyncio.timeout_at(deadline_hard):
                async for update in self._updates(adapter, handle):
                    if (update.raw_status, update.progress) != last:
                        status_changed = update.raw_status != last[0]
                        last = (update.raw_status, update.progress)
                        noted = await self.transitions.note(
                            row.id,
                            f"provider: {update.raw_status}" if status_changed else "",
                            provider_status=update.raw_status,
                            progress=update.progress,
                        )
                        if noted is None:
                            return  # cancelled (or finished) meanwhile
                    elif loop.time() > deadline_soft:
                        deadline_soft = float("inf")
                        await self.transitions.note(row.id, "taking longer than usual")
                    if update.status is ProviderStatus.SUCCEEDED:
                        await self.transitions.move(
                            row.id,
                            JobState.DOWNLOADING,
                            "rendered; downloading",
                            allowed_from={JobState.RUNNING},
                            progress=100.0,
                        )
                        return
                    if update.status is ProviderStatus.CANCELLED:
                        await self._cancelled_by_provider(row, update)
                        return
                    if update.status is ProviderStatus.FAILED:
                        await self._render_failed(row, update)
                        return
        except ProviderError as exc:
            await self._fail(row, exc.code, exc.message)
        except TimeoutError:
            if adapter.supports_cancel:
                try:
                    await adapter.cancel(handle)
                except ProviderError:
                    log.warning("cancel after the hard timeout failed for %s", row.id)
            await self._fail(row, ErrorCode.PROVIDER_TIMEOUT, "the render took too long")

    async def _render_failed(self, row: GenerationRow, update: ProviderUpdate) -> None:
        code = update.error_code or ErrorCode.PROVIDER_ERROR
        message = update.error_message or "the provider reported a failed render"
        cfg = await self.engine.config.get()
        retries_done = await self._retries_done(row.id)
        if code in RETRYABLE_RENDER_ERRORS:
            self.breaker.record_failure(row.model, row.route or "")
        if code in RETRYABLE_RENDER_ERRORS and retries_done < cfg.auto_retries:
            await self.transitions.move(
                row.id,
                JobState.QUEUED,
                f"render failed ({message}); retrying on the same route "
                f"({retries_done + 1}/{cfg.auto_retries})",
                allowed_from={JobState.RUNNING},
                detail={"retry": retries_done + 1},
                provider_handle=None,
                provider_task_id=None,
                progress=None,
            )
            return
        await self._fail(row, code, message)

    async def _retries_done(self, generation_id: str) -> int:
        """Render retries so far, counted from the timeline (survives restarts)."""
        async with self.engine.sessions() as session:
            count = await session.scalar(
                select(func.count()).where(
                    GenerationEventRow.generation_id == generation_id,
                    GenerationEventRow.kind == "job_state",
                    GenerationEventRow.from_state == JobState.RUNNING.value,
                    GenerationEventRow.to_state == JobState.QUEUED.value,
                )
            )
        return int(count or 0)

    # -- download ---------------------------------------------------------------------------

    async def _download(self, row: GenerationRow) -> None:
        assert row.provider_handle is not None
        sha256 = row.media_sha256
        if sha256 is None:
            handle = ProviderHandle.model_validate(row.provider_handle)
            adapter = self.adapters(handle.adapter)
            try:
                result = await self._with_transient_retries(lambda: adapter.result(handle))
                sha256 = await self.media.fetch_result(result)
            except ReelcraftError as exc:
                code = exc.code if exc.code is not ErrorCode.INTERNAL else ErrorCode.DOWNLOAD_FAILED
                await self._fail(row, code, exc.message)
                return
            # Stored before the capture, so a crash in between can be finished (see above).
            if await self.transitions.note(row.id, "", publish=False, media_sha256=sha256) is None:
                return
        captured = await self.ledger.capture_for_job(job_id=row.id)
        if not captured:
            # Released meanwhile (a cancel): the refund stands and nothing is charged.
            await self._settled_by_ledger(row)
            return
        self.breaker.record_success(row.model, row.route or "")
        await self._ready(row, sha256, "video verified and cached")

    async def _ready(self, row: GenerationRow, sha256: str, how: str) -> None:
        await self.transitions.move(
            row.id,
            JobState.READY,
            f"ready: {how}; {row.credits_reserved} credits charged",
            allowed_from={JobState.DOWNLOADING},
            media_sha256=sha256,
            credits_charged=row.credits_reserved,
            progress=100.0,
            error_code=None,
            error_message=None,
        )
