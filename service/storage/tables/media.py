"""Content-addressed media: result videos, input images, thumbnails (SPEC 7)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.storage.base import Base, UTCDateTime, utcnow


class MediaRow(Base):
    __tablename__ = "media"
    __table_args__ = (Index("ix_media_last_access", "last_access_at"),)

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # video | image | thumbnail
    mime: Mapped[str] = mapped_column(String(60))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    # Relative to the media root; NULL once evicted (the row and its source URL remain).
    path: Mapped[str | None] = mapped_column(String(300))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    duration_s: Mapped[float | None] = mapped_column(Float)
    video_codec: Mapped[str | None] = mapped_column(String(30))
    audio_codec: Mapped[str | None] = mapped_column(String(30))
    has_audio: Mapped[bool | None] = mapped_column(Boolean)
    source_url: Mapped[str | None] = mapped_column(Text)
    source_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    parent_sha256: Mapped[str | None] = mapped_column(String(64))  # thumbnail -> its video
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_access_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
