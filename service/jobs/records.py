"""Conversions between generation rows and the contract's schemas, and read queries."""

from __future__ import annotations

import base64
from datetime import datetime
from uuid import UUID

from sqlalchemy import literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from service.storage.base import UTCDateTime
from service.storage.tables import GenerationEventRow, GenerationRow
from shared.api_schemas import GenerationEvent, GenerationPage
from shared.errors import ErrorCode, ReelcraftError
from shared.schemas import Generation, GenerationRequest
from shared.states import JobState, PostState


def to_generation(row: GenerationRow) -> Generation:
    return Generation(
        id=UUID(row.id),
        user_id=row.user_id,
        request=GenerationRequest.model_validate(row.request),
        state=JobState(row.state),
        post_state=PostState(row.post_state),
        progress=row.progress,
        provider_status=row.provider_status,
        provider_task_id=row.provider_task_id,
        error_code=ErrorCode(row.error_code) if row.error_code else None,
        error_message=row.error_message,
        credits_reserved=row.credits_reserved,
        credits_charged=row.credits_charged,
        media_sha256=row.media_sha256,
        attempt=row.attempt,
        regenerated_from=UUID(row.regenerated_from) if row.regenerated_from else None,
        created_at=row.created_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
    )


def to_event(row: GenerationEventRow) -> GenerationEvent:
    return GenerationEvent(
        id=row.id,
        generation_id=UUID(row.generation_id),
        at=row.at,
        kind=row.kind,
        from_state=row.from_state,
        to_state=row.to_state,
        cause=row.cause,
        detail=row.detail,
    )


async def load(session: AsyncSession, generation_id: str, user_id: str | None) -> GenerationRow:
    """The row, visible to `user_id` (None: any user, for support and the runner)."""
    row = await session.get(GenerationRow, generation_id)
    if row is None or (user_id is not None and row.user_id != user_id):
        raise ReelcraftError(
            ErrorCode.INVALID_INPUT, f"no generation {generation_id}", detail={"status": 404}
        )
    return row


def _encode_cursor(row: GenerationRow) -> str:
    raw = f"{row.created_at.isoformat()}|{row.id}".encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created, gen_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(created), gen_id
    except ValueError:
        raise ReelcraftError(ErrorCode.INVALID_INPUT, "malformed cursor") from None


async def page(
    session: AsyncSession,
    *,
    user_id: str | None,
    states: list[JobState] | None = None,
    post_states: list[PostState] | None = None,
    model: str | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> GenerationPage:
    """Newest first, keyset-paginated on (created_at, id) so a page costs the same at any depth."""
    query = select(GenerationRow)
    if user_id is not None:
        query = query.where(GenerationRow.user_id == user_id)
    if states:
        query = query.where(GenerationRow.state.in_([s.value for s in states]))
    if post_states:
        query = query.where(GenerationRow.post_state.in_([s.value for s in post_states]))
    if model:
        query = query.where(GenerationRow.model == model)
    if cursor:
        created, gen_id = _decode_cursor(cursor)
        # A row-value comparison walks the (created_at, id) index; an OR of two terms does not.
        query = query.where(
            tuple_(GenerationRow.created_at, GenerationRow.id)
            < tuple_(literal(created, UTCDateTime()), literal(gen_id))
        )
    query = query.order_by(GenerationRow.created_at.desc(), GenerationRow.id.desc())
    rows = list((await session.scalars(query.limit(limit + 1))).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return GenerationPage(
        items=[to_generation(r) for r in rows],
        next_cursor=_encode_cursor(rows[-1]) if more and rows else None,
    )


async def timeline(session: AsyncSession, generation_id: str) -> list[GenerationEvent]:
    rows = await session.scalars(
        select(GenerationEventRow)
        .where(GenerationEventRow.generation_id == generation_id)
        .order_by(GenerationEventRow.id)
    )
    return [to_event(r) for r in rows]
