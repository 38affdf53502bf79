"""Starlette/FastAPI responses that serve a cached file with Range support.

The API layer calls ``serve_file(request, path, media_type=..., etag=sha256)`` from a route;
``range_response`` is the same without a Request, for other frameworks and tests.
Cached files are content-addressed, so the sha256 is a perfect strong ETag and the bytes
behind a URL never change (``immutable``), which lets the player's cache keep them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from service.media.ranges import DEFAULT_CHUNK, RangeNotSatisfiable, file_chunks, parse_range

CACHE_CONTROL = "private, max-age=31536000, immutable"


def range_response(
    path: Path,
    *,
    media_type: str,
    range_header: str | None = None,
    if_range: str | None = None,
    etag: str | None = None,
    head: bool = False,
    extra_headers: Mapping[str, str] | None = None,
    chunk_size: int = DEFAULT_CHUNK,
) -> Response:
    """200 with the whole file, 206 with one range, or 416 with ``bytes */size``.

    Raises FileNotFoundError if ``path`` is gone (the caller decides: 404 or re-fetch).
    """
    fh = open(path, "rb")  # noqa: SIM115 (closed by file_chunks once the body is sent)
    try:
        size = os.fstat(fh.fileno()).st_size
        quoted = f'"{etag}"' if etag else None
        headers = {
            "Accept-Ranges": "bytes",
            "Cache-Control": CACHE_CONTROL,
            **(extra_headers or {}),
        }
        if quoted:
            headers["ETag"] = quoted
        # If-Range: the range holds only for the representation the client already has.
        use_range = if_range is None or (quoted is not None and if_range.strip() == quoted)
        try:
            span = parse_range(range_header, size) if use_range else None
        except RangeNotSatisfiable as exc:
            fh.close()
            headers["Content-Range"] = exc.content_range
            return Response(status_code=416, headers=headers)
        if span is None:
            start, length, status = 0, size, 200
        else:
            start, length, status = span.start, span.length, 206
            headers["Content-Range"] = span.content_range
        headers["Content-Length"] = str(length)
        if head:
            fh.close()
            return Response(status_code=status, headers=headers, media_type=media_type)
        return StreamingResponse(
            file_chunks(fh, start, length, chunk_size),
            status_code=status,
            headers=headers,
            media_type=media_type,
        )
    except BaseException:
        fh.close()
        raise


def serve_file(
    request: Request, path: Path, *, media_type: str, etag: str | None = None
) -> Response:
    """``range_response`` driven by the request's method, Range and If-Range headers."""
    return range_response(
        path,
        media_type=media_type,
        range_header=request.headers.get("range"),
        if_range=request.headers.get("if-range"),
        etag=etag,
        head=request.method == "HEAD",
    )
