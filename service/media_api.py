"""The media cache as the API and the job runner use it: serve, ingest, list, fetch results.

A thin facade over `service.media.MediaStore` that speaks HTTP responses and provider
results, so routes and the runner stay free of cache details.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response

from service.media import MediaStore
from service.media.responses import serve_file
from service.providers.base import ProviderResult
from service.storage.tables import MediaRow
from shared.errors import ErrorCode, ReelcraftError
from shared.media_schemas import InputImage, ThumbnailSize


def _missing(what: str) -> ReelcraftError:
    return ReelcraftError(ErrorCode.INVALID_INPUT, f"{what} not found", detail={"status": 404})


class MediaApi:
    def __init__(self, store: MediaStore, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.store = store
        self._sessions = sessions

    # -- for the runner ---------------------------------------------------------------------

    async def fetch_result(self, result: ProviderResult) -> str:
        info = await self.store.fetch_result(
            result.video_url,
            headers=result.auth_headers(),
            expected_size=result.size_bytes,
            source_expires_at=result.expires_at,
        )
        return info.sha256

    async def input_file(self, sha256: str) -> tuple[Path, str] | None:
        info = await self.store.info(sha256)
        path = await self.store.path_for(sha256)
        if info is None or path is None:
            return None
        return path, info.mime

    # -- for the API ------------------------------------------------------------------------

    async def ingest_input(self, data: bytes, filename: str | None) -> InputImage:
        return await self.store.ingest_input_image(data, filename)

    async def list_inputs(self, limit: int) -> list[InputImage]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(MediaRow)
                .where(MediaRow.kind == "image", MediaRow.path.is_not(None))
                .order_by(MediaRow.last_access_at.desc(), MediaRow.created_at.desc())
                .limit(limit)
            )
            return [
                InputImage(
                    sha256=r.sha256,
                    mime=r.mime,
                    width=r.width or 1,
                    height=r.height or 1,
                    size_bytes=r.size_bytes,
                    reused=True,
                )
                for r in rows
            ]

    async def serve_input(self, request: Request, sha256: str) -> Response:
        info = await self.store.info(sha256)
        path = await self.store.path_for(sha256) if info is not None else None
        if info is None or path is None or info.kind.value != "image":
            raise _missing("image")
        return serve_file(request, path, media_type=info.mime, etag=sha256)

    async def serve_video(self, request: Request, sha256: str) -> Response:
        info = await self.store.info(sha256)
        if info is None:
            raise _missing("video")
        path = await self.store.ensure_available(sha256)
        return serve_file(request, path, media_type=info.mime, etag=sha256)

    async def serve_thumbnail(self, request: Request, sha256: str, size: str) -> Response:
        wanted = ThumbnailSize.LARGE if size == "large" else ThumbnailSize.SMALL
        path = await self.store.thumbnail(sha256, wanted)
        if path is None:
            raise _missing("thumbnail")
        return serve_file(request, path, media_type="image/jpeg", etag=f"{sha256}-{size}")
