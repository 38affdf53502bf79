"""Result files: signed, expiring CDN-style URLs with HTTP Range support and download faults.

URLs look like `/cdn/{provider}/{token}/{name}?Expires=EPOCH&Signature=HEX`, the shape of an
S3/CloudFront signed URL: they stop working at `Expires`, and an expired or tampered URL is
refused the way that provider's storage refuses it (fal: 404 JSON; the others: 403 XML).
Gemini serves its files through its own key-checked path, which calls `serve_file` here.

Download faults (see faults.py) come from the file's task markers, the `X-Emulator-Fault`
header of the download request, or global faults with `on=download`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import secrets
import time
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from service.providers.emulator.faults import (
    DOWNLOAD_FAULTS,
    HTTP_FAULTS,
    Fault,
    FaultKind,
    FaultSpecError,
    Phase,
    parse_specs,
    take_first,
)

if TYPE_CHECKING:
    from service.providers.emulator.core import EmulatorState, Task

FAULT_HEADER = "x-emulator-fault"
log = logging.getLogger("service.providers.emulator")
_CHUNK = 64 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass
class FileEntry:
    token: str
    task: Task
    index: int
    filename: str
    # Only for keyed downloads (Gemini), whose URLs carry no expiry of their own.
    expires_at: float | None = None

    @property
    def path(self) -> Path:
        return self.task.video_path


class FileStore:
    def __init__(self, state: EmulatorState, signing_key: bytes | None = None) -> None:
        self._state = state
        self._entries: dict[str, FileEntry] = {}
        self._signing_key = signing_key or secrets.token_bytes(32)

    def entry_for(self, task: Task, index: int = 0, filename: str = "output.mp4") -> FileEntry:
        token = self._token(task, index)
        entry = self._entries.get(token)
        if entry is None:
            entry = self._entries[token] = FileEntry(token, task, index, filename)
        return entry

    def get(self, token: str) -> FileEntry | None:
        entry = self._entries.get(token)
        if entry is None:
            # Tokens are derived from the task, so after a restart (same signing key) a URL
            # handed out earlier still resolves: find its task among the restored ones.
            entry = next(
                (
                    self.entry_for(t)
                    for t in list(self._state.tasks.values())
                    if self._token(t, 0) == token
                ),
                None,
            )
        return None if entry is None or entry.task.deleted else entry

    def _token(self, task: Task, index: int) -> str:
        return hmac.new(
            self._signing_key, f"{task.provider}/{task.id}/{index}".encode(), hashlib.sha256
        ).hexdigest()[:24]

    def url_expired_now(self, task: Task) -> bool:
        """Whether the URL being handed out now should already be expired (expired_url fault)."""
        return (
            self._state.task_fault(task, Phase.DOWNLOAD, frozenset({FaultKind.EXPIRED_URL}))
            is not None
        )

    def signed_url(self, task: Task, index: int = 0, filename: str = "output.mp4") -> str:
        """A fresh signed URL; each call re-signs, as Runway's 'fetch the task again' expects."""
        entry = self.entry_for(task, index, filename)
        if self.url_expired_now(task):
            expires = int(time.time()) - 60
        else:
            expires = int(time.time() + self._state.config.url_ttl_s)
        sig = self._sign(entry.token, expires)
        return self._state.url(
            f"/cdn/{task.provider}/{entry.token}/{filename}?Expires={expires}&Signature={sig}"
        )

    def _sign(self, token: str, expires: int) -> str:
        return hmac.new(
            self._signing_key, f"{token}:{expires}".encode(), hashlib.sha256
        ).hexdigest()[:32]

    def valid(self, token: str, expires: str, signature: str) -> bool:
        if not expires.isdigit() or int(expires) < time.time():
            return False
        return hmac.compare_digest(self._sign(token, int(expires)), signature)


def expired_response(provider: str) -> Response:
    if provider == "fal":
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
        "<Message>Request has expired</Message></Error>"
    )
    return Response(xml, status_code=403, media_type="application/xml")


def request_faults(request: Request) -> list[Fault]:
    """Faults named by the X-Emulator-Fault header of this one request (no counting)."""
    raw = request.headers.get(FAULT_HEADER)
    if not raw:
        return []
    try:
        faults = parse_specs(raw)
    except FaultSpecError:
        return []
    for fault in faults:
        fault.times = None
    return faults


def _corrupt(data: bytes) -> bytes:
    """Same length, garbled where it hurts: the moov box (front, faststart) and the middle."""
    buf = bytearray(data)
    for start in (40, len(buf) // 2):
        for i in range(start, min(len(buf), start + 2048)):
            buf[i] ^= 0x5A
    return bytes(buf)


async def serve_file(state: EmulatorState, request: Request, entry: FileEntry) -> Response:
    """The file with Range support, after any download-phase fault for this request."""
    header_faults = request_faults(request)
    task = entry.task
    http_fault = take_first(header_faults, Phase.DOWNLOAD, HTTP_FAULTS) or state.task_fault(
        task, Phase.DOWNLOAD, HTTP_FAULTS
    )
    if http_fault is not None:
        return await _plain_http_fault(state, request, http_fault)
    fault = take_first(header_faults, Phase.DOWNLOAD, DOWNLOAD_FAULTS) or state.task_fault(
        task, Phase.DOWNLOAD, DOWNLOAD_FAULTS
    )

    if fault is not None:
        log.info("emulator: %s fault on a %s download", fault.kind.value, task.provider)
    path = entry.path
    data = await asyncio.to_thread(path.read_bytes)
    if fault is not None and fault.kind is FaultKind.CORRUPT_DOWNLOAD:
        data = _corrupt(data)
    size = len(data)
    stat = path.stat()
    etag = f'"{entry.token}-{size}-{int(stat.st_mtime)}"'
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Last-Modified": formatdate(stat.st_mtime, usegmt=True),
        "Content-Type": "video/mp4",
    }
    start, end, status = 0, size - 1, 200
    range_header = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if range_header and (if_range is None or if_range == etag):
        match = _RANGE.match(range_header.strip())
        if match and (match.group(1) or match.group(2)):
            first, last = match.group(1), match.group(2)
            if first:
                start = int(first)
                end = min(int(last), size - 1) if last else size - 1
            else:
                start = max(0, size - int(last))
            if start >= size or start > end:
                headers["Content-Range"] = f"bytes */{size}"
                return Response(status_code=416, headers=headers)
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    body = data[start : end + 1]
    declared = len(body)
    if fault is not None and fault.kind is FaultKind.WRONG_LENGTH:
        declared = max(1, len(body) - max(1, len(body) // 10))
        body = body[:declared]
    headers["Content-Length"] = str(declared)
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers)
    return _FaultyBody(body, status, headers, fault)


class _FaultyBody(Response):
    """Streams the body in chunks, misbehaving as the fault says."""

    def __init__(self, body: bytes, status: int, headers: dict[str, str], fault: Fault | None):
        super().__init__(status_code=status)
        self._body_bytes = body
        self._headers_out = headers
        self._fault = fault

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self._headers_out.items()
        ]
        await send({"type": "http.response.start", "status": self.status_code, "headers": raw})
        body, fault = self._body_bytes, self._fault
        kind = fault.kind if fault is not None else None
        stop_at = len(body)
        chunk, delay = _CHUNK, 0.0
        if fault is not None and kind is FaultKind.TRUNCATED_DOWNLOAD:
            stop_at = int(len(body) * fault.param("fraction", 0.5))
        elif fault is not None and kind is FaultKind.DROPPED_DOWNLOAD:
            stop_at = int(len(body) * fault.param("fraction", 0.3))
        elif fault is not None and kind is FaultKind.SLOW_DOWNLOAD:
            rate = max(1.0, fault.param("bytes_per_s", 65536))
            chunk = max(1, min(_CHUNK, int(rate / 10)))
            delay = chunk / rate
        sent = 0
        while sent < stop_at:
            piece = body[sent : min(stop_at, sent + chunk)]
            await send({"type": "http.response.body", "body": piece, "more_body": True})
            sent += len(piece)
            if delay:
                await asyncio.sleep(delay)
        if kind is FaultKind.DROPPED_DOWNLOAD:
            # An exception mid-body makes the server reset the connection.
            raise ConnectionResetError("emulator fault: connection dropped mid-file")
        if kind is FaultKind.TRUNCATED_DOWNLOAD:
            # Returning without the final message: the server closes the connection short of
            # the promised Content-Length.
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _plain_http_fault(state: EmulatorState, request: Request, fault: Fault) -> Response:
    """HTTP faults on a CDN download: storage answers in plain text, not a provider envelope."""
    from service.providers.emulator.protocol import hang

    if fault.kind is FaultKind.RATE_LIMITED:
        retry = fault.param("retry_after", 1)
        return Response("Slow Down", status_code=429, headers={"Retry-After": f"{retry:g}"})
    if fault.kind is FaultKind.SERVER_ERROR:
        status = int(fault.param("status", 503))
        return Response("Service Unavailable", status_code=status)
    if fault.kind is FaultKind.HANG:
        await hang(state, request, fault)
        return Response("Gateway Timeout", status_code=504)
    return Response(b"<html>\x00\x01 not a video", status_code=200, media_type="video/mp4")


def create_router(state: EmulatorState) -> APIRouter:
    router = APIRouter()

    @router.api_route(
        "/cdn/{provider}/{token}/{filename}", methods=["GET", "HEAD"], include_in_schema=False
    )
    async def cdn_file(provider: str, token: str, filename: str, request: Request) -> Response:
        entry = state.files.get(token)
        expires = request.query_params.get("Expires", "")
        signature = request.query_params.get("Signature", "")
        if entry is None or entry.task.provider != provider:
            return expired_response(provider)
        if not state.files.valid(token, expires, signature):
            return expired_response(provider)
        return await serve_file(state, request, entry)

    return router
