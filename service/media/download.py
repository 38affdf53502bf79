"""Resumable, verified download of one provider result into a temporary file.

A broken transfer resumes with ``Range: bytes=<received>-`` from the last byte that
reached this process (every received byte is kept, see ``sink.py``), so at most the bytes
in flight when the connection broke are fetched again. ``If-Range``
carries the first response's validator: if the file changed on the server it answers 200
and the download starts over instead of splicing two files together.

``DownloadPolicy.attempts`` (3) bounds the requests that fail. A failed request that still
moved the file forward by ``progress_credit_bytes`` is not held against that number (a
large file over a flaky link should finish), but ``max_requests`` bounds every case.

Verification runs after the last byte and before anything may use the file: the size the
caller or the server declared, every digest the server announced (``digests.py``), then
the caller's own check (the store probes the video with PyAV). A file that fails is
discarded and fetched again from zero, since a resumed copy of bad bytes stays bad.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal, TypeVar

import httpx

from service.media.digests import Digest, caller_sha256, digests_from_headers, mismatches
from service.media.sink import HashingSink

T = TypeVar("T")

FailureReason = Literal[
    "expired",  # the provider no longer serves the file (403/404/410)
    "unauthorized",  # 401, or a 400/403 naming the key: the download key is missing or wrong
    "rejected",  # any other 4xx: the request itself is wrong, retrying cannot help
    "network",  # connection errors, drops, timeouts, stalls, 5xx, 429
    "incomplete",  # fewer or more bytes than declared
    "corrupt",  # a digest does not match
    "unplayable",  # the caller's verification (the PyAV probe) failed
    "too_large",
    "storage",  # the local disk refused the bytes (full, permissions)
]

ProgressCallback = Callable[[int, int | None], None]

_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$")
_UNSATISFIED_RANGE = re.compile(r"^\s*bytes\s+\*/(\d+)\s*$")


@dataclass(frozen=True)
class DownloadPolicy:
    attempts: int = 3
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 8.0
    backoff_jitter: float = 0.25  # +- this fraction, so parallel jobs do not retry in step
    retry_after_cap_s: float = 60.0  # a provider's Retry-After is honoured up to this
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0  # no byte at all for this long: the attempt failed
    # A trickle too slow to finish in reasonable time is treated like a drop and resumed.
    min_rate_bytes_per_s: int = 16 * 1024
    min_rate_window_s: float = 20.0
    progress_credit_bytes: int = 1024 * 1024
    max_requests: int = 10
    max_bytes: int = 4 * 1024**3


class DownloadError(Exception):
    def __init__(
        self, reason: FailureReason, message: str, *, attempts: int, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.reason: FailureReason = reason
        self.message = message
        self.attempts = attempts
        self.status = status


class BadContent(Exception):
    """Raised by a verification step: these bytes must not be used; fetch them again."""

    def __init__(self, reason: FailureReason, message: str) -> None:
        super().__init__(message)
        self.reason: FailureReason = reason
        self.message = message


@dataclass
class RequestRecord:
    """One HTTP request of a download; tests and logs read these to see what was re-fetched."""

    range_start: int
    status: int | None = None
    received: int = 0
    error: str | None = None


@dataclass(frozen=True)
class Transfer:
    path: Path
    size: int
    sha256: str
    requests: tuple[RequestRecord, ...]
    verified_digests: tuple[str, ...]
    elapsed_s: float


class _Retry(Exception):
    def __init__(self, reason: FailureReason, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.reason: FailureReason = reason
        self.message = message
        self.retry_after = retry_after


class _Fatal(Exception):
    def __init__(self, reason: FailureReason, message: str, status: int | None = None):
        super().__init__(message)
        self.reason: FailureReason = reason
        self.message = message
        self.status = status


# Words in an error body that mean "your credential", not "this file": Google answers a bad
# key with 400 API_KEY_INVALID or 403 PERMISSION_DENIED, which must not read as "expired"
# (an expired file is never fetched again).
_AUTH_WORDS = re.compile(rb"api[ _-]?key|unauthenticated|credential|permission_denied", re.I)


def _status_failure(status: int, retry_after: float | None, body: bytes = b"") -> Exception:
    if status == 401 or (status in (400, 403) and _AUTH_WORDS.search(body)):
        return _Fatal(
            "unauthorized", f"the provider refused the download key (HTTP {status})", status
        )
    if status in (403, 404, 410):
        return _Fatal(
            "expired",
            f"the provider no longer serves this file (HTTP {status}); its URL has expired",
            status,
        )
    if status in (408, 425, 429) or status >= 500:
        return _Retry("network", f"the provider answered HTTP {status}", retry_after)
    return _Fatal("rejected", f"the provider rejected the download (HTTP {status})", status)


async def _error_body(resp: httpx.Response, limit: int = 4096) -> bytes:
    """The start of an error body (never a whole file: a misbehaving server may send one)."""
    body = b""
    async for chunk in resp.aiter_raw():
        body += chunk
        if len(body) >= limit:
            break
    return body[:limit]


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare for downloads; the normal backoff applies


class _Download:
    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str,
        fh: IO[bytes],
        headers: Mapping[str, str],
        policy: DownloadPolicy,
        expected_size: int | None,
        expected_sha256: str | None,
        on_progress: ProgressCallback | None,
    ) -> None:
        self.client, self.url, self.policy = client, url, policy
        self.sink = HashingSink(fh)
        self.headers = dict(headers)
        self.expected_size = expected_size
        self.caller_digests = [caller_sha256(expected_sha256)] if expected_sha256 else []
        self.on_progress = on_progress
        self.requests: list[RequestRecord] = []
        self._forget()
        self._last_progress = 0.0

    def _forget(self) -> None:
        self.received = 0
        self.total: int | None = None
        self.validator: str | None = None
        self.server_digests: list[Digest] = []

    async def restart(self) -> None:
        """Forget every byte: the next request asks for the whole file."""
        await self.sink.reset()
        self._forget()

    def _timeout(self) -> httpx.Timeout:
        p = self.policy
        return httpx.Timeout(p.read_timeout_s, connect=p.connect_timeout_s)

    async def request(self) -> None:
        """One GET from the current offset; returns normally once the body is complete."""
        await self.sink.settle()  # the file holds exactly ``received`` bytes from here on
        start = self.received
        record = RequestRecord(range_start=start)
        self.requests.append(record)
        headers = {**self.headers, "Accept-Encoding": "identity"}
        if start:
            headers["Range"] = f"bytes={start}-"
            if self.validator:
                headers["If-Range"] = self.validator
        async with self.client.stream(
            "GET", self.url, headers=headers, timeout=self._timeout(), follow_redirects=True
        ) as resp:
            record.status = resp.status_code
            if resp.status_code == 416 and start:
                await self._after_unsatisfiable(resp)
                return
            if resp.status_code not in (200, 206):
                body = await _error_body(resp) if resp.status_code in (400, 403) else b""
                raise _status_failure(resp.status_code, _retry_after(resp.headers), body)
            encoding = resp.headers.get("content-encoding", "identity").lower()
            if encoding != "identity":
                raise _Fatal("rejected", f"the server compressed the video ({encoding})")
            await self._start_body(resp, start)
            await self._stream(resp, record)
        if self.total is not None and self.received != self.total:
            raise _Retry("incomplete", f"body ended at {self.received} of {self.total} bytes")

    async def _after_unsatisfiable(self, resp: httpx.Response) -> None:
        # After a drop exactly at the end, "bytes=<size>-" is unsatisfiable: nothing is missing.
        m = _UNSATISFIED_RANGE.match(resp.headers.get("content-range", ""))
        if m and int(m.group(1)) == self.received:
            self.total = self.received
            return
        await self.restart()
        raise _Retry("incomplete", "the server's file no longer matches the bytes received")

    async def _start_body(self, resp: httpx.Response, start: int) -> None:
        if resp.status_code == 200:
            if start:  # the server ignored the Range (or If-Range failed): from zero
                await self.restart()
            length = resp.headers.get("content-length")
            total = int(length) if length and length.isdigit() else None
        else:
            m = _CONTENT_RANGE.match(resp.headers.get("content-range", ""))
            if not m or int(m.group(1)) != start:
                await self.restart()
                raise _Retry("incomplete", "the server sent a range that was not asked for")
            total = int(m.group(3)) if m.group(3) != "*" else None
        if total is not None and self.total is not None and total != self.total:
            await self.restart()  # a different file than the one being resumed
            raise _Retry("incomplete", f"the file's size changed from {self.total} to {total}")
        self.total = total if total is not None else self.total
        if self.total is not None and self.total > self.policy.max_bytes:
            raise _Fatal("too_large", f"the file is {self.total} bytes, over the limit")
        digests = digests_from_headers(resp.headers, full_body=resp.status_code == 200)
        if digests:
            self.server_digests = digests
        etag = resp.headers.get("etag")
        if etag and not etag.startswith("W/"):
            self.validator = etag
        elif resp.headers.get("last-modified"):
            self.validator = resp.headers["last-modified"]

    async def _stream(self, resp: httpx.Response, record: RequestRecord) -> None:
        p = self.policy
        window_start, window_bytes = time.monotonic(), 0
        async for chunk in resp.aiter_raw():
            if self.received + len(chunk) > (self.total or p.max_bytes):
                if self.total is None:
                    raise _Fatal("too_large", "the file grew past the size limit")
                await self.restart()
                raise _Retry("incomplete", "the server sent more bytes than it declared")
            # Kept as received: what reached this process is never fetched again.
            await self.sink.write(chunk)
            self.received += len(chunk)
            record.received += len(chunk)
            window_bytes += len(chunk)
            now = time.monotonic()
            if now - window_start >= p.min_rate_window_s:
                if window_bytes < p.min_rate_bytes_per_s * (now - window_start):
                    raise _Retry(
                        "network",
                        f"the transfer stalled ({window_bytes} bytes in "
                        f"{now - window_start:.1f} s)",
                    )
                window_start, window_bytes = now, 0
            self._progress(now)
        self._progress(float("inf"))

    def _progress(self, now: float) -> None:
        if self.on_progress is not None and now - self._last_progress >= 0.2:
            self._last_progress = now
            self.on_progress(self.received, self.total)

    async def check(self, path: Path) -> tuple[str, list[str]]:
        """Durable on disk, then size and digest checks; the sha256 and the digests checked.

        Raises BadContent on a mismatch.
        """
        sha256 = await self.sink.finish(path)
        if self.expected_size is not None and self.received != self.expected_size:
            raise BadContent(
                "incomplete", f"received {self.received} bytes, expected {self.expected_size}"
            )
        expected = self.caller_digests + self.server_digests
        bad = await asyncio.to_thread(mismatches, path, expected, sha256)
        if bad:
            raise BadContent("corrupt", "checksum mismatch: " + "; ".join(bad))
        return sha256, sorted({f"{d.source} {d.algorithm}" for d in expected})

    def backoff(self, failures: int, retry_after: float | None) -> float:
        p = self.policy
        delay = min(p.backoff_max_s, p.backoff_initial_s * 2.0 ** (failures - 1))
        delay *= 1 + random.uniform(-p.backoff_jitter, p.backoff_jitter)
        if retry_after is not None:
            delay = max(delay, min(retry_after, p.retry_after_cap_s))
        return delay


async def download(
    client: httpx.AsyncClient,
    url: str,
    dest: Path,
    *,
    verify: Callable[[Path], Awaitable[T]],
    headers: Mapping[str, str] | None = None,
    expected_size: int | None = None,
    expected_sha256: str | None = None,
    policy: DownloadPolicy = DownloadPolicy(),
    on_progress: ProgressCallback | None = None,
) -> tuple[Transfer, T]:
    """Fetch ``url`` into ``dest``, verified; ``verify`` may raise BadContent to refetch.

    Raises DownloadError when the attempts are spent or the failure cannot be retried;
    ``dest`` is then deleted. On success the caller owns ``dest``.
    """
    started = time.monotonic()
    failures = 0
    with open(dest, "w+b") as fh:
        dl = _Download(
            client, url, fh, headers or {}, policy, expected_size, expected_sha256, on_progress
        )
        try:
            while True:
                before = dl.received
                try:
                    await dl.request()
                    sha256, verified = await dl.check(dest)
                    result = await verify(dest)
                    transfer = Transfer(
                        path=dest,
                        size=dl.received,
                        sha256=sha256,
                        requests=tuple(dl.requests),
                        verified_digests=tuple(verified),
                        elapsed_s=time.monotonic() - started,
                    )
                    return transfer, result
                except (_Fatal, httpx.UnsupportedProtocol, httpx.InvalidURL, OSError) as exc:
                    fatal = _as_fatal(exc)
                    if dl.requests:
                        dl.requests[-1].error = fatal.message
                    raise DownloadError(
                        fatal.reason, fatal.message, attempts=len(dl.requests), status=fatal.status
                    ) from exc
                except (_Retry, BadContent, httpx.RequestError) as exc:
                    reason, message, retry_after = _classify(exc)
                    dl.requests[-1].error = message
                    if isinstance(exc, BadContent):
                        await dl.restart()
                    elif dl.received - before >= policy.progress_credit_bytes:
                        failures -= 1  # it moved forward: not held against the attempts
                    failures += 1
                    if failures >= policy.attempts or len(dl.requests) >= policy.max_requests:
                        raise DownloadError(
                            reason,
                            f"{message} (after {len(dl.requests)} attempts)",
                            attempts=len(dl.requests),
                            status=dl.requests[-1].status,
                        ) from exc
                    await asyncio.sleep(dl.backoff(failures, retry_after))
        except BaseException:
            await dl.sink.abandon()
            fh.close()
            dest.unlink(missing_ok=True)
            raise


def _as_fatal(exc: Exception) -> _Fatal:
    if isinstance(exc, _Fatal):
        return exc
    if isinstance(exc, OSError) and not isinstance(exc, httpx.HTTPError):
        # Local storage (disk full, permissions): retrying the network cannot help.
        return _Fatal("storage", f"the video could not be written to disk: {exc}")
    return _Fatal("rejected", str(exc))


def _classify(exc: Exception) -> tuple[FailureReason, str, float | None]:
    if isinstance(exc, _Retry):
        return exc.reason, exc.message, exc.retry_after
    if isinstance(exc, BadContent):
        return exc.reason, exc.message, None
    if isinstance(exc, httpx.TimeoutException):
        return "network", f"the provider stopped sending ({type(exc).__name__})", None
    return "network", f"the connection broke: {exc or type(exc).__name__}", None


__all__ = [
    "BadContent",
    "DownloadError",
    "DownloadPolicy",
    "FailureReason",
    "ProgressCallback",
    "RequestRecord",
    "Transfer",
    "download",
]
