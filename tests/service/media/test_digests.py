"""Checksums a server announces catch corruption the probe cannot see.

Bytes flipped inside the picture data still decode (FFmpeg conceals the damage), so the
probe passes them; only a digest (Repr-Digest, Digest, x-goog-hash, Content-MD5) or a hash
the caller knows tells. The emulator announces none, so this server does, over real HTTP.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import Response

from service.media.download import DownloadError, download
from service.media.probe import probe_video
from service.media.store import verify_playable
from tests.service.media.clips import make_clip
from tests.service.media.conftest import FAST
from tests.service.media.http_server import serve


@dataclass
class DigestServer:
    base_url: str
    original: bytes
    corrupt_next: int = 0  # how many responses still carry flipped bytes
    served: list[int] = field(default_factory=list)


def _flip_middle(data: bytes) -> bytes:
    buf = bytearray(data)
    for i in range(len(buf) // 2, len(buf) // 2 + 64, 4):
        buf[i] ^= 0x01
    return bytes(buf)


def _b64(algorithm: str, data: bytes) -> str:
    return base64.b64encode(hashlib.new(algorithm, data).digest()).decode()


@pytest.fixture(scope="module")
def digest_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DigestServer]:
    clip = make_clip(tmp_path_factory.mktemp("digests") / "d.mp4", width=160, height=120)
    srv = DigestServer("", clip.read_bytes())
    app = FastAPI()

    @app.get("/{style}.mp4")
    def video(style: str, request: Request) -> Response:
        body = srv.original
        if srv.corrupt_next:
            srv.corrupt_next -= 1
            body = _flip_middle(body)
        srv.served.append(len(body))
        headers = {
            "repr": {"Repr-Digest": f"sha-256=:{_b64('sha256', srv.original)}:"},
            "goog": {"x-goog-hash": f"crc32c=AAAAAA==, md5={_b64('md5', srv.original)}"},
            "none": {},
        }[style]
        return Response(body, media_type="video/mp4", headers=headers)

    with serve(app) as base:
        srv.base_url = base
        yield srv


def test_flipped_bytes_still_decode(digest_server: DigestServer, tmp_path: Path) -> None:
    """Why digests matter: the probe alone passes this damaged file."""
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(_flip_middle(digest_server.original))
    assert probe_video(damaged).duration_s > 0


@pytest.mark.parametrize(
    ("style", "named"), [("repr", "repr-digest sha256"), ("goog", "x-goog-hash md5")]
)
async def test_corruption_caught_by_the_servers_digest_is_fetched_again(
    digest_server: DigestServer, tmp_path: Path, style: str, named: str
) -> None:
    digest_server.corrupt_next = 1
    async with httpx.AsyncClient() as client:
        transfer, _ = await download(
            client,
            f"{digest_server.base_url}/{style}.mp4",
            tmp_path / "v.part",
            verify=verify_playable,
            policy=FAST,
        )
    first, second = transfer.requests
    assert first.error is not None and "checksum mismatch" in first.error
    assert second.range_start == 0  # bad bytes are never resumed from
    assert transfer.sha256 == hashlib.sha256(digest_server.original).hexdigest()
    assert transfer.verified_digests == (named,)


async def test_persistent_corruption_fails_as_corrupt(
    digest_server: DigestServer, tmp_path: Path
) -> None:
    digest_server.corrupt_next = 3
    async with httpx.AsyncClient() as client:
        with pytest.raises(DownloadError) as err:
            await download(
                client,
                f"{digest_server.base_url}/goog.mp4",
                tmp_path / "v.part",
                verify=verify_playable,
                policy=FAST,
            )
    assert err.value.reason == "corrupt" and err.value.attempts == 3
    assert not (tmp_path / "v.part").exists()


async def test_a_hash_the_caller_knows_is_checked_too(
    digest_server: DigestServer, tmp_path: Path
) -> None:
    """Re-downloads of an evicted video pass its content address as the expected hash."""
    digest_server.corrupt_next = 3
    async with httpx.AsyncClient() as client:
        with pytest.raises(DownloadError) as err:
            await download(
                client,
                f"{digest_server.base_url}/none.mp4",
                tmp_path / "v.part",
                verify=verify_playable,
                policy=FAST,
                expected_sha256=hashlib.sha256(digest_server.original).hexdigest(),
            )
    assert err.value.reason == "corrupt" and "caller sha256" in err.value.message
