"""Helpers shared by the desktop tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

from shared.schemas import Generation, GenerationRequest
from shared.states import JobState

SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"


async def until(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Poll on the running (qasync) loop until `predicate()` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        await asyncio.sleep(0.02)


def make_generation(**changes: object) -> Generation:
    """A generation record as the service sends it (for widget tests without a service)."""
    now = datetime.now(UTC)
    request = GenerationRequest(
        model=str(changes.pop("model", "kling-2.6")),
        input_image_sha256="a" * 64,
        character_name=str(changes.pop("character_name", "Mira")),
        prompt=str(changes.pop("prompt", "Mira waves at the camera, golden hour")),
        duration_s=int(str(changes.pop("duration_s", 5))),
        resolution=str(changes.pop("resolution", "1080p")),
    )
    base: dict[str, object] = {
        "id": uuid4(),
        "user_id": "local",
        "request": request,
        "state": JobState.RUNNING,
        "created_at": now - timedelta(seconds=30),
        "updated_at": now,
        "credits_reserved": 200,
    }
    base.update(changes)
    return Generation.model_validate(base)


def make_mp4(path: Path, seconds: float = 2.0, size: tuple[int, int] = (192, 336)) -> Path:
    """A small H.264 + AAC clip (PyAV), with a moving bar so frames differ."""
    import av
    import numpy as np

    fps = 24
    width, height = size
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = container.add_stream("aac", rate=44100)
        frames = int(seconds * fps)
        for i in range(frames):
            pixels = np.full((height, width, 3), (40, 30, 90), dtype=np.uint8)
            x = int(i / frames * (width - 20))
            pixels[:, x : x + 20] = (250, 200, 60)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        samples_per_frame = 1024
        t = 0
        total = int(seconds * 44100)
        while t < total:
            n = min(samples_per_frame, total - t)
            tone = 0.2 * np.sin(2 * np.pi * 440 * (np.arange(t, t + n) / 44100))
            frame = av.AudioFrame.from_ndarray(
                tone.astype(np.float32).reshape(1, -1), format="fltp", layout="mono"
            )
            frame.sample_rate = 44100
            frame.pts = t
            for packet in audio.encode(frame):
                container.mux(packet)
            t += n
        for packet in audio.encode():
            container.mux(packet)
    return path
