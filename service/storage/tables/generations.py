"""Generations and their state events (the timeline support reads)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.storage.base import Base, BigIntPK, JsonColumn, UTCDateTime, utcnow


class GenerationRow(Base):
    __tablename__ = "generations"
    __table_args__ = (
        # The client's request id makes a POST idempotent per user.
        UniqueConstraint("user_id", "client_request_id", name="uq_generations_client_request"),
        Index("ix_generations_user_created", "user_id", "created_at", "id"),
        # Support's view of everyone's history, newest first.
        Index("ix_generations_created", "created_at", "id"),
        Index("ix_generations_state_next_poll", "state", "next_poll_at"),
        # Live generations per user (the concurrency limit, checked on every POST).
        Index("ix_generations_user_state", "user_id", "state"),
        Index("ix_generations_media", "media_sha256"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    client_request_id: Mapped[str] = mapped_column(String(36))
    model: Mapped[str] = mapped_column(String(64))
    route: Mapped[str | None] = mapped_column(String(64))
    request: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    state: Mapped[str] = mapped_column(String(20))
    post_state: Mapped[str] = mapped_column(String(20), default="draft")
    progress: Mapped[float | None] = mapped_column()
    provider_status: Mapped[str | None] = mapped_column(String(100))
    # The provider handle is persisted before anything else after a submit (SPEC 5).
    provider_task_id: Mapped[str | None] = mapped_column(String(200))
    provider_handle: Mapped[dict[str, Any] | None] = mapped_column(JsonColumn)
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_message: Mapped[str | None] = mapped_column(Text)
    credits_reserved: Mapped[int] = mapped_column(Integer, default=0)
    credits_charged: Mapped[int] = mapped_column(Integer, default=0)
    reservation_id: Mapped[str | None] = mapped_column(String(80))
    media_sha256: Mapped[str | None] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    regenerated_from: Mapped[str | None] = mapped_column(String(36))
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class GenerationEventRow(Base):
    """One state change of a generation, with its cause (procrastinate-style event log)."""

    __tablename__ = "generation_events"
    __table_args__ = (Index("ix_generation_events_generation", "generation_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    generation_id: Mapped[str] = mapped_column(ForeignKey("generations.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    kind: Mapped[str] = mapped_column(String(30))  # job_state | post_state | note
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    cause: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JsonColumn)
