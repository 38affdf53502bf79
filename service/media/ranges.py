"""HTTP byte ranges (RFC 9110 section 14) for serving cached files, framework-free.

``parse_range`` decides what to send; ``file_chunks`` sends it. The player asks for the
first bytes, then seeks with further ranges (or a suffix range, to read an MP4 index at the
end), so it can start before the whole file has been read.

Following RFC 9110, a Range header that is malformed, in another unit or asks for several
ranges is ignored (the whole file is sent with 200; several ranges would need a multipart
body no player asks for). Only a well-formed range that lies wholly past the end of the file,
or a zero-length suffix, is unsatisfiable (416).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import BinaryIO

_SPEC = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)

DEFAULT_CHUNK = 256 * 1024


@dataclass(frozen=True)
class ByteRange:
    """Inclusive byte positions, as in Content-Range."""

    start: int
    end: int
    size: int  # the whole file

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    @property
    def content_range(self) -> str:
        return f"bytes {self.start}-{self.end}/{self.size}"


class RangeNotSatisfiable(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(f"no byte of the range lies within the file's {size} bytes")
        self.size = size

    @property
    def content_range(self) -> str:
        return f"bytes */{self.size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The span to send for ``header`` against a file of ``size`` bytes.

    None means "send the whole file with 200" (no header, or one to ignore).
    Raises RangeNotSatisfiable for a well-formed range that misses the file.
    """
    if header is None:
        return None
    m = _SPEC.match(header)
    if m is None:  # several ranges, other units, garbage: ignored per RFC 9110
        return None
    first, last = m.group(1), m.group(2)
    if not first and not last:
        return None
    if not first:  # suffix: the last N bytes
        n = int(last)
        if n == 0 or size == 0:
            raise RangeNotSatisfiable(size)
        return ByteRange(max(0, size - n), size - 1, size)
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None  # invalid syntax ("bytes=10-5"): ignored, not unsatisfiable
    if start >= size:
        raise RangeNotSatisfiable(size)
    return ByteRange(start, min(end, size - 1), size)


async def file_chunks(
    fh: BinaryIO, start: int, length: int, chunk_size: int = DEFAULT_CHUNK
) -> AsyncIterator[bytes]:
    """Read ``length`` bytes from ``start`` of an open file off the event loop, then close it.

    Taking an already open file matters: the cache may evict (unlink) the file while a slow
    client is still reading, and an open handle keeps the bytes readable on POSIX.
    """
    try:
        await asyncio.to_thread(fh.seek, start)
        remaining = length
        while remaining > 0:
            block = await asyncio.to_thread(fh.read, min(chunk_size, remaining))
            if not block:
                raise OSError(f"file ended {remaining} bytes early")
            remaining -= len(block)
            yield block
    finally:
        fh.close()
