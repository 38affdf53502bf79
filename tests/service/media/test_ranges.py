"""Serving cached files with HTTP Range: the parser, and the response over real sockets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import Response

from service.media import ByteRange, RangeNotSatisfiable, parse_range, serve_file
from tests.service.media.clips import make_clip
from tests.service.media.http_server import serve

SIZE = 10_000


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-0", ByteRange(0, 0, SIZE)),  # the first byte
        ("bytes=100-199", ByteRange(100, 199, SIZE)),  # a middle range
        ("bytes=9500-", ByteRange(9500, SIZE - 1, SIZE)),  # open-ended
        ("bytes=-500", ByteRange(SIZE - 500, SIZE - 1, SIZE)),  # suffix: the last 500
        ("bytes=-20000", ByteRange(0, SIZE - 1, SIZE)),  # suffix longer than the file
        ("bytes=9000-20000", ByteRange(9000, SIZE - 1, SIZE)),  # end clamped to the file
        ("BYTES = 5 - 9", ByteRange(5, 9, SIZE)),
    ],
)
def test_satisfiable_ranges(header: str, expected: ByteRange) -> None:
    span = parse_range(header, SIZE)
    assert span == expected
    assert span is not None and span.length == expected.end - expected.start + 1


@pytest.mark.parametrize(
    "header", [None, "", "bytes=", "bytes=-", "items=0-5", "bytes=5-1", "bytes=0-1,5-9", "x"]
)
def test_absent_malformed_or_multiple_ranges_mean_the_whole_file(header: str | None) -> None:
    assert parse_range(header, SIZE) is None


@pytest.mark.parametrize(
    ("header", "size"), [("bytes=10000-", SIZE), ("bytes=-0", SIZE), ("bytes=0-", 0)]
)
def test_unsatisfiable_ranges(header: str, size: int) -> None:
    with pytest.raises(RangeNotSatisfiable) as err:
        parse_range(header, size)
    assert err.value.content_range == f"bytes */{size}"


# ---------------------------------------------------------------- over HTTP


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, bytes, list[str]]]:
    """A clip whose index is at the end (no faststart), served by ``serve_file``."""
    clip = make_clip(tmp_path_factory.mktemp("served") / "c.mp4", faststart=False)
    seen: list[str] = []
    app = FastAPI()

    @app.api_route("/media/video.mp4", methods=["GET", "HEAD"])
    def video(request: Request) -> Response:
        seen.append(request.headers.get("range", "-"))
        return serve_file(request, clip, media_type="video/mp4", etag="cafe")

    with serve(app) as base:
        yield f"{base}/media/video.mp4", clip.read_bytes(), seen


def test_whole_file_advertises_ranges(served: tuple[str, bytes, list[str]]) -> None:
    url, data, _ = served
    resp = httpx.get(url)
    assert resp.status_code == 200 and resp.content == data
    assert resp.headers["accept-ranges"] == "bytes"
    assert resp.headers["content-length"] == str(len(data))
    assert resp.headers["content-type"] == "video/mp4" and resp.headers["etag"] == '"cafe"'


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [("bytes=0-0", 0, 0), ("bytes=1000-65535", 1000, 65535), ("bytes=-4096", None, None)],
    ids=["first-byte", "middle", "suffix"],
)
def test_ranges_get_206_with_the_exact_bytes(
    served: tuple[str, bytes, list[str]], header: str, start: int | None, end: int | None
) -> None:
    url, data, _ = served
    size = len(data)
    if start is None or end is None:
        start, end = size - 4096, size - 1
    resp = httpx.get(url, headers={"Range": header})
    assert resp.status_code == 206
    assert resp.headers["content-range"] == f"bytes {start}-{end}/{size}"
    assert resp.headers["content-length"] == str(end - start + 1)
    assert resp.content == data[start : end + 1]


def test_range_past_the_end_is_416_with_the_size(served: tuple[str, bytes, list[str]]) -> None:
    url, data, _ = served
    resp = httpx.get(url, headers={"Range": f"bytes={len(data)}-"})
    assert resp.status_code == 416
    assert resp.headers["content-range"] == f"bytes */{len(data)}"
    assert resp.content == b""


def test_if_range_for_another_version_sends_the_whole_file(
    served: tuple[str, bytes, list[str]],
) -> None:
    url, data, _ = served
    stale = httpx.get(url, headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert stale.status_code == 200 and stale.content == data
    same = httpx.get(url, headers={"Range": "bytes=0-9", "If-Range": '"cafe"'})
    assert same.status_code == 206 and same.content == data[:10]


def test_head_reports_the_range_without_a_body(served: tuple[str, bytes, list[str]]) -> None:
    url, data, _ = served
    resp = httpx.head(url, headers={"Range": "bytes=10-19"})
    assert resp.status_code == 206 and resp.content == b""
    assert resp.headers["content-range"] == f"bytes 10-19/{len(data)}"
    assert resp.headers["content-length"] == "10"


def test_a_player_starts_and_seeks_without_reading_the_whole_file(
    served: tuple[str, bytes, list[str]],
) -> None:
    """FFmpeg (what Qt's player uses) reads the index at the end of the file via a Range
    request, decodes the first frame, and seeks: the file never has to arrive in full first."""
    url, data, seen = served
    seen.clear()
    with av.open(url) as container:
        stream = container.streams.video[0]
        first = next(container.decode(stream))
        assert first.width == 320
        container.seek(int(1.5 / stream.time_base), stream=stream)
        later = [f for _, f in zip(range(40), container.decode(stream), strict=False)]
        assert later and max(float(f.time) for f in later) >= 1.5
    starts = [int(r.split("=")[1].split("-")[0]) for r in seen if r.startswith("bytes=")]
    assert starts[0] == 0
    assert any(s > len(data) // 2 for s in starts)  # jumped to the index at the end


async def test_playback_in_progress_survives_eviction(tmp_path: Path) -> None:
    """The response holds the file open: evicting (unlinking) it mid-stream loses nothing."""
    from starlette.responses import StreamingResponse

    from service.media import range_response

    clip = make_clip(tmp_path / "c.mp4", width=160, height=120, seconds=1.0)
    data = clip.read_bytes()
    resp = range_response(clip, media_type="video/mp4", range_header="bytes=100-", chunk_size=4096)
    assert isinstance(resp, StreamingResponse) and resp.status_code == 206
    chunks = resp.body_iterator.__aiter__()
    received = [await chunks.__anext__()]
    clip.unlink()
    received += [chunk async for chunk in chunks]
    assert b"".join(c if isinstance(c, bytes) else c.encode() for c in received) == data[100:]
