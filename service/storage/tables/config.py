"""Dynamic configuration: admin overrides of prices, limits, the kill switch, models, routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from service.storage.base import Base, JsonColumn, UTCDateTime, utcnow


class ConfigEntryRow(Base):
    __tablename__ = "config_entries"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JsonColumn)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
