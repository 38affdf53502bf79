"""Tracking events (SPEC 8): front-end and back-end events, stored locally."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from service.storage.base import Base, BigIntPK, JsonColumn, UTCDateTime, utcnow


class AnalyticsEventRow(Base):
    __tablename__ = "analytics_events"
    __table_args__ = (Index("ix_analytics_events_name_at", "name", "at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JsonColumn, default=dict)
    forwarded: Mapped[bool] = mapped_column(default=False)
