"""What the media cache tells the API and the desktop about a cached file (SPEC section 7)."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum

from pydantic import BaseModel, ConfigDict, Field

SHA256_PATTERN = r"^[0-9a-f]{64}$"


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MediaKind(StrEnum):
    VIDEO = "video"
    IMAGE = "image"


class MediaStatus(StrEnum):
    """Whether the bytes can be served now, after a re-download, or never again."""

    CACHED = "cached"
    EVICTED = "evicted"  # not on disk; the provider URL still lives, fetched on demand
    EXPIRED = "expired"  # not on disk and the provider URL has expired: gone for good


class ThumbnailSize(IntEnum):
    """Poster frames (the first keyframe) as JPEGs, by width in pixels."""

    LARGE = 320  # preview poster, history cards
    SMALL = 96  # list rows, the library picker


class MediaInfo(_Schema):
    """A verified file in the content-addressed cache and what the probe found in it."""

    sha256: str = Field(pattern=SHA256_PATTERN)
    kind: MediaKind
    mime: str
    size_bytes: int = Field(ge=0)
    status: MediaStatus
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    has_audio: bool | None = None
    source_expires_at: datetime | None = None
    created_at: datetime
    last_access_at: datetime


class InputImage(_Schema):
    """A character image after validation and normalisation, stored by the hash of its bytes."""

    sha256: str = Field(pattern=SHA256_PATTERN)
    mime: str
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    size_bytes: int = Field(gt=0)
    reused: bool = Field(description="an identical image was already in the cache")


class EvictionReport(_Schema):
    """What one eviction pass did; `over_budget_bytes` > 0 means pinned media alone exceed it."""

    budget_bytes: int
    cached_bytes_before: int
    cached_bytes_after: int
    evicted: list[str]
    skipped_pinned: int
    over_budget_bytes: int
