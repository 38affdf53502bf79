"""The job engine's front door: accept, cancel, regenerate, discard, publish.

Acceptance order (SPEC 5): validate and re-quote, check limits, reserve the credits under a
transfer id derived from the generation id, then persist the generation as `queued`. A crash
between the last two leaves a reservation with no job, which the startup sweeper releases.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import (
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.config.dynamic import DynamicConfig, RuntimeConfig
from service.jobs.accept_sql import AcceptStatements
from service.jobs.breaker import CircuitBreaker
from service.jobs.records import load, to_generation
from service.jobs.transitions import Transitions
from service.storage.base import utcnow
from service.storage.hotpath import HotPath, Refused
from service.storage.tables import GenerationRow
from shared.catalogue import Catalogue
from shared.errors import ErrorCode, ReelcraftError
from shared.ledger_schemas import ReservationStatus
from shared.quote import quote
from shared.schemas import Generation, GenerationRequest, Quote
from shared.states import JobState, PostState


class CreditsLedger(Protocol):
    """The part of the ledger the job engine uses (service.ledger implements it)."""

    async def reserve_for_job(
        self, *, job_id: str, user_id: str, amount: int, source: str, extra: dict[str, Any]
    ) -> None: ...

    async def capture_for_job(self, *, job_id: str) -> bool: ...

    async def release_for_job(self, *, job_id: str, reason: str) -> bool: ...

    async def reservation_status(self, job_id: str) -> ReservationStatus | None: ...


class RunnerWakeup(Protocol):
    def wake(self) -> None: ...

    def interrupt(self, generation_id: str) -> None: ...


def ledger_source(family: str) -> str:
    return f"video_post_{family}"


def derive_prompt(request: GenerationRequest) -> str:
    """An empty prompt becomes one derived from the character (SPEC 2)."""
    if request.prompt.strip():
        return request.prompt.strip()
    subject = request.character_name.strip() or "the character"
    description = request.character_description.strip()
    about = f", {description}" if description else ""
    return (
        f"{subject}{about} comes to life: natural motion, subtle expression, gentle camera "
        "movement, ambient sound"
    )


@dataclass
class JobEngine:
    sessions: async_sessionmaker[AsyncSession]
    catalogue: Catalogue
    ledger: CreditsLedger
    config: DynamicConfig
    breaker: CircuitBreaker
    transitions: Transitions
    # The service's own reasons a route is down (no key configured): model -> {route: reason}.
    unavailable_routes_fn: Callable[[str], dict[str, str]] | None = None
    runner: RunnerWakeup | None = None
    # Best effort: tell the provider to stop a cancelled task (where its API allows).
    cancel_at_provider: Callable[[dict[str, Any]], Coroutine[Any, Any, None]] | None = None
    hot: HotPath = field(init=False)
    _background: set[asyncio.Task[None]] = field(default_factory=set)
    _prepared: AcceptStatements | None = None

    def __post_init__(self) -> None:
        self.hot = HotPath(self.sessions.kw["bind"])

    def unavailable_routes(self, model: str, disabled: dict[str, list[str]]) -> dict[str, str]:
        down = dict(self.breaker.unavailable_routes(model))
        for route in disabled.get(model, []):
            down[route] = "disabled by an admin"
        if self.unavailable_routes_fn is not None:
            down.update(self.unavailable_routes_fn(model))
        return down

    async def live_quote(
        self, model: str, duration_s: int, resolution: str | None, price_book: str | None = None
    ) -> Quote:
        self.catalogue.model(model)  # an unknown model is invalid input, before anything else
        cfg = await self.config.get()
        book = price_book or cfg.price_book
        q = quote(
            self.catalogue,
            model,
            duration_s,
            resolution,
            price_book=book,
            unavailable_routes=self.unavailable_routes(model, cfg.disabled_routes),
        )
        blocked = self.blocked_reason(model, cfg)
        if blocked is not None:
            q = q.model_copy(
                update={"available": False, "route": None, "unavailable_reason": blocked}
            )
        return q

    @staticmethod
    def blocked_reason(model: str, cfg: RuntimeConfig) -> str | None:
        """Why an admin switch keeps a model from rendering now (None: it may render)."""
        if not cfg.generation_enabled:
            return "Video generation is paused"
        if model in cfg.disabled_models:
            return "Temporarily unavailable (disabled by an admin)"
        return None

    async def _existing(self, user_id: str, client_request_id: str) -> Generation | None:
        async with self.sessions() as session:
            row = await session.scalar(
                select(GenerationRow).where(
                    GenerationRow.user_id == user_id,
                    GenerationRow.client_request_id == client_request_id,
                )
            )
            return to_generation(row) if row else None

    def _statements(self) -> AcceptStatements:
        if self._prepared is None:
            self._prepared = AcceptStatements.compile(self.hot.dialect)
        return self._prepared

    async def _precheck(
        self, user_id: str, client_request_id: str, image_sha256: str
    ) -> tuple[str | None, bool, int, int]:
        """One round trip: (an existing generation for this request id, whether the image
        is uploaded, live generations, generations in the last 24 h)."""
        rows = await self.hot.run(
            self._statements().precheck,
            {
                "user_id": user_id,
                "client_request_id": client_request_id,
                "image": image_sha256,
                "since": utcnow() - timedelta(days=1),
            },
            write=False,
        )
        existing, image, live, today = rows[0].values()
        return existing, image is not None, int(live or 0), int(today or 0)

    async def _check_limits(self, live: int, today: int) -> None:
        cfg = await self.config.get()
        if live >= cfg.max_concurrent_per_user:
            raise ReelcraftError(
                ErrorCode.CONCURRENCY_LIMIT,
                f"{live} generations are already running (limit {cfg.max_concurrent_per_user})",
            )
        if today >= cfg.daily_cap_per_user:
            raise ReelcraftError(
                ErrorCode.DAILY_LIMIT,
                f"{today} generations in the last 24 h (limit {cfg.daily_cap_per_user})",
            )

    async def accept(
        self,
        user_id: str,
        request: GenerationRequest,
        *,
        regenerated_from: str | None = None,
        attempt: int = 1,
    ) -> tuple[Generation, bool]:
        """Accept a request; returns (generation, created). A replay returns the original."""
        existing_id, has_image, live, today = await self._precheck(
            user_id, str(request.client_request_id), request.input_image_sha256
        )
        if existing_id is not None:
            return await self.get(user_id, existing_id), False
        if not (await self.config.get()).generation_enabled:
            raise ReelcraftError(ErrorCode.GENERATION_DISABLED, "video generation is paused")
        model = self.catalogue.model(request.model)
        q = await self.live_quote(
            request.model, request.duration_s, request.resolution, request.price_book
        )
        if not q.available or q.route is None:
            raise ReelcraftError(
                ErrorCode.MODEL_UNAVAILABLE,
                q.unavailable_reason or f"{model.label} is temporarily unavailable",
            )
        if request.aspect_ratio not in model.aspect_ratios:
            raise ReelcraftError(
                ErrorCode.INVALID_INPUT,
                f"{model.label} renders {', '.join(model.aspect_ratios)}, "
                f"not {request.aspect_ratio}",
            )
        if request.negative_prompt and not model.takes_negative_prompt:
            raise ReelcraftError(
                ErrorCode.INVALID_INPUT, f"{model.label} does not take a negative prompt"
            )
        if not has_image:
            raise ReelcraftError(
                ErrorCode.INVALID_INPUT, "upload the character image first (POST /api/v1/inputs)"
            )
        await self._check_limits(live, today)
        seed = request.seed
        if model.takes_seed and seed is None:
            seed = random.SystemRandom().randrange(2**31)
        complete = request.model_copy(
            update={
                "route": q.route,
                "resolution": q.resolution,
                "prompt_sent": derive_prompt(request),
                "seed": seed if model.takes_seed else None,
                "price_book": q.price_book,
                "price_book_version": q.price_book_version,
                "catalogue_version": q.catalogue_version,
                "quoted_credits": q.credits,
            }
        )
        generation_id = str(uuid.uuid4())
        await self.ledger.reserve_for_job(
            job_id=generation_id,
            user_id=user_id,
            amount=q.credits,
            source=ledger_source(model.family),
            extra={
                "model": model.id,
                "resolution": q.resolution,
                "duration": q.duration_s,
                "credits": q.credits,
                "provider_cost_usd": float(q.provider_cost_usd),
            },
        )
        now = utcnow()
        values = {
            "id": generation_id,
            "user_id": user_id,
            "client_request_id": str(request.client_request_id),
            "model": model.id,
            "route": q.route,
            "request": complete.model_dump(mode="json"),
            "state": JobState.QUEUED.value,
            "post_state": PostState.DRAFT.value,
            "credits_reserved": q.credits,
            "credits_charged": 0,
            "reservation_id": generation_id,
            "attempt": attempt,
            "regenerated_from": regenerated_from,
            "next_poll_at": now,
            "created_at": now,
            "updated_at": now,
        }
        event = {
            "generation_id": generation_id,
            "at": now,
            "kind": "job_state",
            "from_state": None,
            "to_state": JobState.QUEUED.value,
            "cause": f"accepted: {q.credits} credits reserved, route {q.route}",
            "detail": {"quote": q.model_dump(mode="json")},
        }
        statements = self._statements()
        try:
            await self.hot.transaction(
                [(statements.insert_generation, values), (statements.insert_event, event)]
            )
        except Refused:
            # A concurrent request with the same idempotency key won the insert.
            await self.ledger.release_for_job(job_id=generation_id, reason="duplicate request")
            existing = await self._existing(user_id, str(request.client_request_id))
            if existing is None:
                raise
            return existing, False
        generation = Generation(
            id=uuid.UUID(generation_id),
            user_id=user_id,
            request=complete,
            state=JobState.QUEUED,
            post_state=PostState.DRAFT,
            credits_reserved=q.credits,
            attempt=attempt,
            regenerated_from=uuid.UUID(regenerated_from) if regenerated_from else None,
            created_at=now,
            updated_at=now,
        )
        self.transitions.publish(generation)
        if self.runner is not None:
            self.runner.wake()
        return generation, True

    async def cancel(self, user_id: str | None, generation_id: str) -> Generation:
        """Cancel before completion: the credits come back (once)."""
        async with self.sessions() as session:
            row = await load(session, generation_id, user_id)
            state = JobState(row.state)
            handle = row.provider_handle
        if state.is_terminal:
            if state is JobState.CANCELLED:
                return await self.get(user_id, generation_id)
            raise ReelcraftError(
                ErrorCode.INVALID_INPUT, f"the generation is already {state.value}"
            )
        # The ledger is the arbiter: whoever resolves the reservation first decides.
        released = await self.ledger.release_for_job(job_id=generation_id, reason="cancelled")
        if not released:
            raise ReelcraftError(ErrorCode.INVALID_INPUT, "the video has just finished")
        moved = await self.transitions.move(
            generation_id,
            JobState.CANCELLED,
            "cancelled by the user; credits refunded",
            error_code=ErrorCode.CANCELLED.value,
            error_message="Cancelled by the user.",
        )
        if self.runner is not None:
            self.runner.interrupt(generation_id)
        if handle is not None and self.cancel_at_provider is not None:
            task = asyncio.create_task(self.cancel_at_provider(handle))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        if moved is None:
            return await self.get(user_id, generation_id)
        return moved

    async def get(self, user_id: str | None, generation_id: str) -> Generation:
        async with self.sessions() as session:
            return to_generation(await load(session, generation_id, user_id))

    async def regenerate(
        self, user_id: str, generation_id: str, idempotency_key: str
    ) -> tuple[Generation, bool]:
        """Same model, prompt and settings; charged again (SPEC 2). A new seed is drawn."""
        original = await self.get(user_id, generation_id)
        request = original.request.model_copy(
            update={
                "client_request_id": uuid.uuid5(uuid.NAMESPACE_URL, f"regen:{idempotency_key}"),
                "route": None,
                "prompt_sent": None,
                "seed": None,
                "quoted_credits": None,
                "price_book_version": None,
                "catalogue_version": None,
            }
        )
        return await self.accept(
            user_id, request, regenerated_from=generation_id, attempt=original.attempt + 1
        )

    async def discard(self, user_id: str | None, generation_id: str) -> Generation:
        current = await self.get(user_id, generation_id)
        if not current.state.is_terminal:
            raise ReelcraftError(
                ErrorCode.INVALID_INPUT, "cancel the generation instead; it is still running"
            )
        moved = await self.transitions.move_post(
            generation_id,
            PostState.DISCARDED,
            "discarded by the user (no refund)",
            user_id=user_id,
        )
        if moved is None:
            raise ReelcraftError(
                ErrorCode.INVALID_INPUT, f"a {current.post_state.value} post cannot be discarded"
            )
        return moved

    async def publish(self, user_id: str | None, generation_id: str) -> Generation:
        current = await self.get(user_id, generation_id)
        if current.state is not JobState.READY:
            raise ReelcraftError(ErrorCode.INVALID_INPUT, "only a finished video can be published")
        moved = await self.transitions.move_post(
            generation_id,
            PostState.IN_REVIEW,
            "published; waiting for moderation",
            user_id=user_id,
        )
        if moved is None:
            if current.post_state is PostState.IN_REVIEW:
                return current
            raise ReelcraftError(
                ErrorCode.INVALID_INPUT, f"a {current.post_state.value} post cannot be published"
            )
        return moved
