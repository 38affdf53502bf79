"""The emulator renders real videos: H.264 + AAC at 30 fps, the requested duration (within
one frame), size and aspect, with visible motion and audible sound."""

from __future__ import annotations

import io
import secrets
from pathlib import Path

import av
import httpx
import numpy as np
import pytest

from service.providers.emulator.render import (
    RenderCache,
    RenderSpec,
    frame_size,
    nearest_aspect,
)
from service.providers.registry import AdapterRegistry
from shared.states import ProviderStatus
from tests.service.providers.cases import request_for, run_to_end


def probe(data: bytes) -> dict[str, object]:
    with av.open(io.BytesIO(data)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        frames = [f.to_ndarray(format="gray") for f in container.decode(video=0)]
        loudness = 0.0
        if audio is not None:
            container.seek(0)
            samples = [f.to_ndarray() for f in container.decode(audio=0)]
            loudness = float(np.sqrt(np.mean(np.concatenate(samples, axis=1) ** 2)))
        return {
            "codec": video.codec_context.name,
            "size": (video.width, video.height),
            "rate": video.average_rate,
            "frames": frames,
            "duration": len(frames) / float(video.average_rate or 30),
            "audio": audio.codec_context.name if audio is not None else None,
            "loudness": loudness,
        }


async def test_a_rendered_result_is_a_real_video(
    registry: AdapterRegistry, character_png: bytes, image_url: str
) -> None:
    adapter = registry.adapter("gemini")
    req = request_for(
        "gemini", f"render {secrets.token_hex(3)}", character_png, image_url, aspect_ratio="9:16"
    )
    handle = await adapter.submit(req)
    final, _ = await run_to_end(adapter, handle)
    assert final.status is ProviderStatus.SUCCEEDED
    result = await adapter.result(handle)
    async with httpx.AsyncClient() as client:
        data = (await client.get(result.video_url, headers=result.auth_headers())).content

    info = probe(data)
    assert info["codec"] == "h264" and info["audio"] == "aac"
    assert info["rate"] == 30
    assert info["size"] == (720, 1280)  # 720p at 9:16, as requested
    assert abs(float(str(info["duration"])) - req.duration_s) <= 1 / 30
    assert float(str(info["loudness"])) > 0.01  # audible, not a silent track
    frames = info["frames"]
    assert isinstance(frames, list)
    first, middle = frames[0].astype(int), frames[len(frames) // 2].astype(int)
    assert np.abs(first - middle).mean() > 2  # the picture moves


@pytest.mark.parametrize(
    ("resolution", "aspect", "size"),
    [
        ("720p", "16:9", (1280, 720)),
        ("1080p", "9:16", (1080, 1920)),
        ("480p", "16:9", (854, 480)),
        ("720p", "1:1", (720, 720)),
    ],
)
def test_frame_sizes(resolution: str, aspect: str, size: tuple[int, int]) -> None:
    assert frame_size(resolution, aspect) == size


def test_aspect_follows_the_image_when_not_given() -> None:
    assert nearest_aspect(1080, 1920) == "9:16"
    assert nearest_aspect(1000, 990) == "1:1"
    assert nearest_aspect(1920, 1200) == "16:9"


def test_identical_renders_are_done_once(tmp_path: Path, character_png: bytes) -> None:
    cache = RenderCache(tmp_path)
    spec = RenderSpec(duration_s=1, width=320, height=180)
    first = cache.get_or_render(character_png, spec)
    mtime = first.stat().st_mtime_ns
    again = cache.get_or_render(character_png, spec)
    assert again == first and again.stat().st_mtime_ns == mtime
    assert len(list(tmp_path.glob("*.mp4"))) == 1  # no stray temp files either
    info = probe(first.read_bytes())
    assert info["size"] == (320, 180) and len(info["frames"]) == 30  # type: ignore[arg-type]


def test_junk_image_is_refused(tmp_path: Path) -> None:
    from service.providers.emulator.render import RenderError

    with pytest.raises(RenderError):
        RenderCache(tmp_path).get_or_render(b"not an image", RenderSpec(1, 320, 180))
    assert not list(tmp_path.iterdir())
