"""Every state change is a compare-and-set on the row plus an event row, in one transaction,
published on the bus after commit (procrastinate-style: the events are the timeline)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.jobs.bus import BusEvent, EventBus
from service.jobs.records import to_generation
from service.storage.base import utcnow
from service.storage.db import writing
from service.storage.tables import GenerationEventRow, GenerationRow
from shared.schemas import Generation
from shared.states import JobState, PostState, can_transition, can_transition_post


class Transitions:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], bus: EventBus) -> None:
        self._sessions = sessions
        self._bus = bus

    def publish(self, generation: Generation) -> None:
        self._bus.publish(
            BusEvent("generation", generation.user_id, generation.model_dump(mode="json"))
        )

    async def move(
        self,
        generation_id: str,
        to: JobState,
        cause: str,
        *,
        allowed_from: Collection[JobState] | None = None,
        detail: dict[str, Any] | None = None,
        **fields: Any,
    ) -> Generation | None:
        """Move the job to `to` if its current state allows it; None if another actor won."""
        async with writing(self._sessions) as session:
            current = await session.scalar(
                select(GenerationRow.state).where(GenerationRow.id == generation_id)
            )
            if current is None:
                return None
            state = JobState(current)
            if not can_transition(state, to) or (
                allowed_from is not None and state not in allowed_from
            ):
                return None
            now = utcnow()
            values: dict[str, Any] = {"state": to.value, "updated_at": now, **fields}
            if to.is_terminal:
                values.setdefault("finished_at", now)
                values.setdefault("lease_owner", None)
                values.setdefault("lease_expires_at", None)
            result = await session.execute(
                update(GenerationRow)
                .where(GenerationRow.id == generation_id, GenerationRow.state == state.value)
                .values(**values)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
            session.add(
                GenerationEventRow(
                    generation_id=generation_id,
                    at=now,
                    kind="job_state",
                    from_state=state.value,
                    to_state=to.value,
                    cause=cause,
                    detail=detail,
                )
            )
            row = await session.get(GenerationRow, generation_id, populate_existing=True)
            assert row is not None
            generation = to_generation(row)
        self.publish(generation)
        return generation

    async def move_post(
        self, generation_id: str, to: PostState, cause: str, *, user_id: str | None = None
    ) -> Generation | None:
        async with writing(self._sessions) as session:
            row = await session.get(GenerationRow, generation_id, with_for_update=True)
            if row is None or (user_id is not None and row.user_id != user_id):
                return None
            current = PostState(row.post_state)
            if not can_transition_post(current, to):
                return None
            row.post_state = to.value
            row.updated_at = utcnow()
            session.add(
                GenerationEventRow(
                    generation_id=generation_id,
                    kind="post_state",
                    from_state=current.value,
                    to_state=to.value,
                    cause=cause,
                )
            )
            await session.flush()
            generation = to_generation(row)
        self.publish(generation)
        return generation

    async def note(
        self,
        generation_id: str,
        cause: str,
        *,
        detail: dict[str, Any] | None = None,
        publish: bool = True,
        **fields: Any,
    ) -> Generation | None:
        """Update progress-like fields without a state change; `cause` goes to the timeline
        only when non-empty (provider sub-status changes, retries, failovers)."""
        async with writing(self._sessions) as session:
            row = await session.get(GenerationRow, generation_id)
            if row is None or JobState(row.state).is_terminal:
                return None
            for key, value in fields.items():
                setattr(row, key, value)
            row.updated_at = utcnow()
            if cause:
                session.add(
                    GenerationEventRow(
                        generation_id=generation_id, kind="note", cause=cause, detail=detail
                    )
                )
            await session.flush()
            generation = to_generation(row)
        if publish:
            self.publish(generation)
        return generation
