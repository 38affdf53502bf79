"""Fixtures for the media cache tests: a migrated database, a store on a temp data dir,
small real clips, and the provider emulator (real HTTP, fault injection)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncEngine

from service.media import DownloadPolicy, MediaStore, serve_file
from service.storage.db import open_database
from tests.service.media.clips import make_clip
from tests.service.media.http_server import serve
from tests.support.emulator import RunningEmulator, running_emulator

ROOT = Path(__file__).resolve().parents[3]
SAMPLE_IMAGE = ROOT / "resources" / "samples" / "kai.png"

# Real retries and timeouts, with delays small enough for a test suite.
FAST = DownloadPolicy(
    backoff_initial_s=0.01, backoff_max_s=0.05, connect_timeout_s=5, read_timeout_s=5
)


@pytest.fixture
async def engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    async with open_database(sqlite_url) as engine:
        yield engine


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as c:
        yield c


@pytest.fixture
def media_dir(data_dir: Path) -> Path:
    return data_dir / "media"


@pytest.fixture
async def store(
    media_dir: Path, engine: AsyncEngine, client: httpx.AsyncClient
) -> AsyncIterator[MediaStore]:
    s = MediaStore(media_dir, engine, client, budget_bytes=1 << 30, policy=FAST)
    yield s
    await s.aclose()


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2 s 320x240 H.264 + AAC MP4 (~1 MB of noisy content: several chunks on the wire)."""
    return make_clip(tmp_path_factory.mktemp("clips") / "clip.mp4")


@pytest.fixture(scope="session")
def emulator() -> Iterator[RunningEmulator]:
    with running_emulator(queue_s=0, render_s=0) as emu:
        yield emu


@dataclass(frozen=True)
class ProviderResult:
    url: str
    size: int  # what the provider reports (fal: video.file_size)


async def render_on_emulator(
    emu: RunningEmulator, client: httpx.AsyncClient, markers: str = ""
) -> ProviderResult:
    """Generate through the emulator's fal queue API until it reports success.

    ``markers`` (e.g. "[emulator:truncated_download]") attach faults to the result file.
    Every call renders the same image and settings, which the emulator renders once.
    """
    auth = {"Authorization": f"Key {emu.key}"}
    image = "data:image/png;base64," + base64.b64encode(SAMPLE_IMAGE.read_bytes()).decode()
    submitted = await client.post(
        f"{emu.base_url}/fal-ai/veo3.1/image-to-video",
        headers=auth,
        json={
            "prompt": f"a slow turn {markers}",
            "image_url": image,
            "duration": "4s",
            "resolution": "720p",
            "aspect_ratio": "16:9",
            "generate_audio": True,
        },
    )
    submitted.raise_for_status()
    urls = submitted.json()
    for _ in range(600):
        status = await client.get(urls["status_url"], headers=auth)
        if status.status_code == 200:
            break
        await asyncio.sleep(0.02)
    result = await client.get(urls["response_url"], headers=auth)
    result.raise_for_status()
    video = result.json()["video"]
    return ProviderResult(video["url"], int(video["file_size"]))


@pytest.fixture(scope="session")
def reference_sha256(emulator: RunningEmulator) -> str:
    """The sha256 of the emulator's rendered file, fetched once with no fault in the way."""

    async def fetch() -> str:
        async with httpx.AsyncClient() as c:
            result = await render_on_emulator(emulator, c)
            body = (await c.get(result.url)).content
            assert len(body) == result.size
            return hashlib.sha256(body).hexdigest()

    return asyncio.run(fetch())


def files_under(root: Path, pattern: str = "*") -> list[Path]:
    return sorted(p for p in root.rglob(pattern) if p.is_file())


@dataclass
class ClipServer:
    """Distinct small videos over real HTTP, with the two verdicts a provider can give:
    a file that is gone (403, S3 style) and a file that needs the provider key."""

    base_url: str
    files: dict[str, Path]
    gone: set[str]
    key: str
    requests: list[str]

    def url(self, name: str) -> str:
        return f"{self.base_url}/files/{name}"


@pytest.fixture(scope="session")
def clip_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClipServer]:
    root = tmp_path_factory.mktemp("clip-server")
    files = {
        f"v{i}.mp4": make_clip(root / f"v{i}.mp4", width=160, height=120, seconds=1.0, seed=i)
        for i in range(4)
    }
    app = FastAPI()
    srv = ClipServer("", files, set(), "test-provider-key-123", [])

    @app.get("/files/{name}")
    def get_file(name: str, request: Request) -> Response:
        srv.requests.append(name)
        if name.startswith("keyed-"):
            if request.headers.get("x-goog-api-key") != srv.key:
                return Response("API key not valid", status_code=401)
            name = name.removeprefix("keyed-")
        if name in srv.gone or name not in files:
            return Response("<Error><Code>AccessDenied</Code></Error>", status_code=403)
        return serve_file(request, files[name], media_type="video/mp4")

    with serve(app) as base:
        srv.base_url = base
        yield srv
