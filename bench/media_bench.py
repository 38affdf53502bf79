"""bench/media: the media cache against a plain streamed download of the same file.

    .venv/bin/python bench/media_bench.py [--runs 7]

Budget (SPEC section 9): provider reports done -> first frame in the preview within 1.2x
the plain download time of the same file, plus 300 ms.

For each file, over loopback from one origin server in its own process, as a provider's
CDN would be (a minimal asyncio HTTP/1.1 server: uvicorn + Starlette's FileResponse stalls
~40 ms per response on loopback here, which would flatter every ratio):
- plain: ``httpx`` streams the file to disk; nothing else (the baseline);
- ready: ``MediaStore.fetch_result``: download, fsync, sha256, PyAV probe, poster frames,
  atomic publish, database row; what the job engine waits for before ``ready``;
- first frame: ``ready`` plus what the preview does next: FFmpeg (Qt's player backend)
  opens the cached file through ``serve_file`` over HTTP and decodes the first frame.
Throughput compares ``download`` alone with the plain copy on a 64 MB file.
Medians of ``--runs`` runs, alternating the order; ratios are against the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import av  # noqa: E402
import httpx  # noqa: E402
import numpy as np  # noqa: E402
from fastapi import FastAPI, Request  # noqa: E402
from starlette.responses import Response  # noqa: E402

from service.media import MediaStore, serve_file  # noqa: E402
from service.media.download import download  # noqa: E402
from service.storage.db import open_database, sqlite_url  # noqa: E402
from tests.service.media.http_server import serve  # noqa: E402


def make_provider_clip(path: Path, width: int, height: int, seconds: int, bitrate: int) -> Path:
    """A clip shaped like a provider's: H.264 at a fixed bitrate, AAC, index in front."""
    with av.open(str(path), "w", format="mp4", options={"movflags": "faststart"}) as out:
        video = out.add_stream("libx264", rate=30)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.bit_rate = bitrate
        video.options = {"preset": "ultrafast"}
        audio = out.add_stream("aac", rate=48000)
        rng = np.random.default_rng(1)
        base = rng.integers(0, 255, (height // 8, width // 8, 3), dtype=np.uint8)
        base = base.repeat(8, 0).repeat(8, 1)
        for i in range(seconds * 30):
            img = np.roll(base, (i * 5, i * 3), axis=(0, 1))
            for packet in video.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        t = np.arange(48000 * seconds) / 48000
        samples = (0.2 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
        for start in range(0, len(samples), 1024):
            frame = av.AudioFrame.from_ndarray(
                samples[None, start : start + 1024], format="fltp", layout="mono"
            )
            frame.sample_rate, frame.pts = 48000, start
            for packet in audio.encode(frame):
                out.mux(packet)
        for packet in audio.encode():
            out.mux(packet)
    return path


async def _origin_connection(
    files: Path, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """GET /files/<name>[?rate=<bytes/s>]: the whole file, keep-alive, optionally paced
    like a real link; enough for both clients measured."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            target = head.split(b" ", 2)[1].decode()
            path, _, query = target.partition("?")
            rate = float(query.removeprefix("rate=")) if query.startswith("rate=") else None
            data = (files / path.rsplit("/", 1)[-1]).read_bytes()
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\n"
                b"Content-Length: %d\r\n\r\n" % len(data)
            )
            started = time.perf_counter()
            for i in range(0, len(data), 256 * 1024):
                writer.write(data[i : i + 256 * 1024])
                await writer.drain()
                if rate is not None:
                    ahead = (i + 256 * 1024) / rate - (time.perf_counter() - started)
                    if ahead > 0:
                        await asyncio.sleep(ahead)
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


async def plain_copy(client: httpx.AsyncClient, url: str, dest: Path) -> None:
    async with client.stream("GET", url) as resp:
        resp.raise_for_status()
        with open(dest, "wb") as fh:
            async for chunk in resp.aiter_raw():
                fh.write(chunk)


def first_frame_over_http(url: str) -> None:
    with av.open(url) as container:
        next(container.decode(video=0))


async def median_s(fn: Callable[[], Awaitable[None]], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def bench_file(
    name: str, src: Path, origin: str, work: Path, runs: int, rate: float | None = None
) -> None:
    size = src.stat().st_size
    url = f"{origin}/files/{src.name}" + (f"?rate={rate:.0f}" if rate else "")
    name += f", link {rate / 1e6:.0f} MB/s" if rate else ", loopback unpaced"
    plain_t, ready_t, frame_t = [], [], []
    async with (
        httpx.AsyncClient(timeout=60) as client,
        open_database(sqlite_url(work / f"{src.stem}-{rate}.db")) as engine,
    ):
        store = MediaStore(work / "media", engine, client, budget_bytes=1 << 40)
        service = FastAPI()

        @service.get("/media/{sha}")
        async def media(sha: str, request: Request) -> Response:
            # Content-addressed: the path follows from the hash (the engine belongs to the
            # bench's loop, so this server thread does not query the database).
            path = store.layout.absolute(store.layout.relative_path(sha, "video/mp4"))
            return serve_file(request, path, media_type="video/mp4", etag=sha)

        with serve(service) as service_url:
            for i in range(runs):
                order = ("plain", "ours") if i % 2 == 0 else ("ours", "plain")
                for which in order:
                    if which == "plain":
                        dest = work / "plain.mp4"
                        started = time.perf_counter()
                        await plain_copy(client, url, dest)
                        plain_t.append(time.perf_counter() - started)
                        dest.unlink()
                        continue
                    # A fresh cache each run, so every run really downloads.
                    async with engine.begin() as conn:
                        await conn.exec_driver_sql("DELETE FROM media")
                    started = time.perf_counter()
                    info = await store.fetch_result(url, expected_size=size)
                    ready_t.append(time.perf_counter() - started)
                    cached = await store.path_for(info.sha256)
                    assert cached is not None
                    await asyncio.to_thread(
                        first_frame_over_http, f"{service_url}/media/{info.sha256}"
                    )
                    frame_t.append(time.perf_counter() - started)
                    os.unlink(cached)
        await store.aclose()

    plain, ready, frame = (statistics.median(x) for x in (plain_t, ready_t, frame_t))
    budget = 1.2 * plain + 0.300
    print(f"\n{name}: {size / 1e6:.2f} MB")
    print(f"  plain streamed copy            {plain * 1000:8.1f} ms   1.00x")
    print(f"  done -> verified (ready)       {ready * 1000:8.1f} ms   {ready / plain:5.2f}x")
    print(f"  done -> first frame in preview {frame * 1000:8.1f} ms   {frame / plain:5.2f}x")
    print(
        f"  budget 1.2x plain + 300 ms     {budget * 1000:8.1f} ms   "
        f"{'within' if frame <= budget else 'OVER'} ({frame / budget:.2f} of budget)"
    )


async def bench_throughput(
    src: Path, origin: str, work: Path, runs: int, rate: float | None = None
) -> None:
    size = src.stat().st_size
    url = f"{origin}/files/{src.name}" + (f"?rate={rate:.0f}" if rate else "")

    async def nothing(_: Path) -> None:
        return None

    async with httpx.AsyncClient(timeout=60) as client:

        async def plain() -> None:
            await plain_copy(client, url, work / "p.bin")

        async def ours() -> None:
            await download(client, url, work / "o.bin", verify=nothing, expected_size=size)

        await plain()
        await ours()  # warm both paths
        p = await median_s(plain, runs)
        o = await median_s(ours, runs)
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    assert hashlib.sha256((work / "o.bin").read_bytes()).hexdigest() == digest
    link = f"link {rate / 1e6:.0f} MB/s" if rate else "loopback unpaced"
    print(f"\nthroughput, {size / 1e6:.0f} MB file, {link}")
    print(f"  plain streamed copy            {size / p / 1e6:8.1f} MB/s  1.00x")
    print(f"  download() (+sha256, fsync)    {size / o / 1e6:8.1f} MB/s  {p / o:5.2f}x")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--origin", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.origin is not None:
        await run_origin(args.origin)
        return
    with tempfile.TemporaryDirectory(prefix="bench-media-") as tmp:
        work = Path(tmp)
        files = work / "files"
        files.mkdir()
        print("making test files ...", flush=True)
        clips = {
            "emulator-like 720p 4 s": make_provider_clip(
                files / "small.mp4", 1280, 720, 4, 300_000
            ),
            "provider-like 1080p 5 s": make_provider_clip(
                files / "large.mp4", 1920, 1080, 5, 12_000_000
            ),
        }
        (files / "big.bin").write_bytes(os.urandom(64 * 1024 * 1024))
        origin = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--origin", str(files), stdout=asyncio.subprocess.PIPE
        )
        assert origin.stdout is not None
        origin_url = (await origin.stdout.readline()).decode().strip()
        try:
            for name, clip in clips.items():
                await bench_file(name, clip, origin_url, work, args.runs)
            # A fast real link (400 Mbit/s): what a creator's download actually looks like.
            await bench_file(
                "provider-like 1080p 5 s",
                clips["provider-like 1080p 5 s"],
                origin_url,
                work,
                args.runs,
                rate=50e6,
            )
            await bench_throughput(files / "big.bin", origin_url, work, args.runs)
            await bench_throughput(files / "big.bin", origin_url, work, 3, rate=50e6)
        finally:
            origin.terminate()
            await origin.wait()


async def run_origin(files: Path) -> None:
    server = await asyncio.start_server(
        lambda r, w: _origin_connection(files, r, w), "127.0.0.1", 0
    )
    print(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
