"""Reading and writing ``media`` rows: the cache's metadata, one row per content hash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.storage.base import utcnow
from service.storage.tables.media import MediaRow
from shared.media_schemas import MediaInfo, MediaKind, MediaStatus

# Credentials some clients put in a query string; they must never reach the database.
_SECRET_PARAMS = frozenset({"key", "api_key", "apikey", "access_token", "token"})


def storable_url(url: str) -> str:
    """The URL without user-info or key-like query parameters.

    Signed URLs (S3, GCS) keep their signature: it is a time-limited capability that a
    re-download needs. Provider API keys belong in headers, which are never stored.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _SECRET_PARAMS
    ]
    return urlunsplit((parts.scheme, host, parts.path, urlencode(query), parts.fragment))


@dataclass(frozen=True)
class NewMedia:
    sha256: str
    kind: MediaKind
    mime: str
    size_bytes: int
    path: str
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    has_audio: bool | None = None
    source_url: str | None = None
    source_expires_at: datetime | None = None


def status_of(row: MediaRow, now: datetime | None = None) -> MediaStatus:
    if row.path is not None:
        return MediaStatus.CACHED
    expires = row.source_expires_at
    if row.source_url is None or (expires is not None and expires <= (now or utcnow())):
        return MediaStatus.EXPIRED
    return MediaStatus.EVICTED


def to_info(row: MediaRow) -> MediaInfo:
    return MediaInfo(
        sha256=row.sha256,
        kind=MediaKind(row.kind),
        mime=row.mime,
        size_bytes=row.size_bytes,
        status=status_of(row),
        width=row.width,
        height=row.height,
        duration_s=row.duration_s,
        video_codec=row.video_codec,
        audio_codec=row.audio_codec,
        has_audio=row.has_audio,
        source_expires_at=row.source_expires_at,
        created_at=row.created_at,
        last_access_at=row.last_access_at,
    )


class MediaRows:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def get(self, sha256: str) -> MediaRow | None:
        async with self.sessions() as s:
            return await s.get(MediaRow, sha256)

    async def put(self, new: NewMedia) -> tuple[MediaRow, bool]:
        """Insert or refresh the row for ``new``; returns it and whether it already existed."""
        for _ in range(2):  # a concurrent insert of the same hash loses once, then updates
            try:
                async with self.sessions.begin() as s:
                    row = await s.get(MediaRow, new.sha256, with_for_update=True)
                    existed = row is not None
                    if row is None:
                        row = MediaRow(sha256=new.sha256, created_at=utcnow())
                        s.add(row)
                    _apply(row, new)
                return row, existed
            except IntegrityError:
                continue
        raise RuntimeError(f"could not store media row {new.sha256}")

    async def touch(self, sha256: str, older_than: timedelta) -> None:
        """Record a use for LRU, at most once per ``older_than`` (serving is range-chatty)."""
        now = utcnow()
        async with self.sessions.begin() as s:
            await s.execute(
                update(MediaRow)
                .where(MediaRow.sha256 == sha256, MediaRow.last_access_at < now - older_than)
                .values(last_access_at=now)
            )

    async def set_path(self, sha256: str, path: str | None) -> None:
        async with self.sessions.begin() as s:
            values: dict[str, object] = {"path": path}
            if path is not None:
                values["last_access_at"] = utcnow()
            await s.execute(update(MediaRow).where(MediaRow.sha256 == sha256).values(**values))

    async def clear_path_if_unused(self, sha256: str, path: str, used_before: datetime) -> bool:
        """Mark evicted, unless the row changed or was used since ``used_before``."""
        async with self.sessions.begin() as s:
            result = await s.execute(
                update(MediaRow)
                .where(
                    MediaRow.sha256 == sha256,
                    MediaRow.path == path,
                    MediaRow.last_access_at < used_before,
                )
                .values(path=None)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def mark_expired(self, sha256: str) -> None:
        """The provider refused the URL: it is gone, whatever expiry was announced."""
        async with self.sessions.begin() as s:
            await s.execute(
                update(MediaRow).where(MediaRow.sha256 == sha256).values(source_expires_at=utcnow())
            )

    async def cached_bytes(self) -> int:
        async with self.sessions() as s:
            total = await s.scalar(
                select(func.coalesce(func.sum(MediaRow.size_bytes), 0)).where(
                    MediaRow.path.is_not(None)
                )
            )
            return int(total or 0)

    async def lru_batch(
        self, used_before: datetime, after: tuple[datetime, str] | None, limit: int
    ) -> list[MediaRow]:
        """Cached rows unused since ``used_before``, least recently used first (keyset
        pagination on access time, hash). A new row's first use is its creation."""
        q = select(MediaRow).where(
            MediaRow.path.is_not(None), MediaRow.last_access_at < used_before
        )
        if after is not None:
            at, sha = after
            q = q.where(
                (MediaRow.last_access_at > at)
                | ((MediaRow.last_access_at == at) & (MediaRow.sha256 > sha))
            )
        q = q.order_by(MediaRow.last_access_at, MediaRow.sha256).limit(limit)
        async with self.sessions() as s:
            return list((await s.scalars(q)).all())


def _apply(row: MediaRow, new: NewMedia) -> None:
    row.kind = new.kind.value
    row.mime = new.mime
    row.size_bytes = new.size_bytes
    row.path = new.path
    row.width, row.height = new.width, new.height
    row.duration_s = new.duration_s
    row.video_codec, row.audio_codec = new.video_codec, new.audio_codec
    row.has_audio = new.has_audio
    row.last_access_at = utcnow()
    if new.source_url is not None:
        # The same bytes again (a regenerate): keep whichever URL is known to live longer.
        old, fresh = row.source_expires_at, new.source_expires_at
        keep_old = (
            row.source_url is not None and old is not None and fresh is not None and old > fresh
        )
        if not keep_old:
            row.source_url = new.source_url
            row.source_expires_at = fresh
