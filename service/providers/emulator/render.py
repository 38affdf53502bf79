"""Real MP4s from a still image: H.264 + AAC, 30 fps, a slow pan with a sweeping bar and a tone.

Speed matters more than beauty here: the source is scaled once (STACK.md: per-frame
resampling of a large source dominates otherwise), converted to YUV 4:2:0 once, and every
frame is a crop of those planes, so the frame loop is memory copies plus the encoder.
Renders are cached by content (image bytes + spec) and written atomically, so identical
requests, parallel emulators and repeated test runs share one file.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import tempfile
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

# numpy, Pillow and PyAV are imported where used: together they are a third of a second of
# start-up that `reelcraft emulator` must not pay before it answers (warm_up loads them).

FPS = 30
SAMPLE_RATE = 48_000
_AAC_FRAME = 1024
# Bump when the output changes so stale cache entries are not reused.
RENDER_VERSION = "3"
# The source is scaled this much larger than the output so the crop window can pan.
_PAN_MARGIN = 1.12

_SHORT_SIDE = {"360p": 360, "480p": 480, "540p": 540, "720p": 720, "1080p": 1080, "4k": 2160}


class RenderError(Exception):
    """The input image could not be used (not an image, or unreadable)."""


@dataclass(frozen=True)
class RenderSpec:
    duration_s: float
    width: int
    height: int
    audio: bool = True
    fps: int = FPS

    @property
    def frame_count(self) -> int:
        return max(1, round(self.duration_s * self.fps))

    def cache_key(self, image: bytes) -> str:
        h = hashlib.sha256(image)
        h.update(f"|{self.duration_s}|{self.width}x{self.height}|{self.audio}|{self.fps}".encode())
        h.update(f"|v{RENDER_VERSION}".encode())
        return h.hexdigest()[:32]


def frame_size(resolution: str, aspect_ratio: str) -> tuple[int, int]:
    """Pixel size for a resolution tag ('720p') and an aspect ratio ('9:16'); both even."""
    short = _SHORT_SIDE.get(resolution.lower())
    if short is None:
        raise ValueError(f"unknown resolution {resolution!r}")
    try:
        a, b = (int(x) for x in aspect_ratio.split(":"))
    except ValueError as exc:
        raise ValueError(f"bad aspect ratio {aspect_ratio!r}") from exc
    if a <= 0 or b <= 0:
        raise ValueError(f"bad aspect ratio {aspect_ratio!r}")
    w, h = (short * a / b, float(short)) if a >= b else (float(short), short * b / a)
    return _even(w), _even(h)


def nearest_aspect(width: int, height: int) -> str:
    """The offered aspect ratio closest to an image's own shape (i2v without an explicit ratio)."""
    ratio = width / height
    options = {"16:9": 16 / 9, "9:16": 9 / 16, "1:1": 1.0}
    return min(options, key=lambda k: abs(math.log(options[k] / ratio)))


def warm_up() -> None:
    """Import the media libraries ahead of the first request (run on a daemon thread)."""
    import av  # noqa: F401
    import numpy  # noqa: F401
    from PIL import Image  # noqa: F401


def image_size(image: bytes) -> tuple[int, int]:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(image)) as im:
            return im.size
    except Exception as exc:  # PIL raises many types for junk input
        raise RenderError(f"not a readable image: {exc}") from exc


def _even(x: float) -> int:
    return max(2, round(x / 2) * 2)


def _prepare_planes(image: bytes, spec: RenderSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import numpy as np
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(image)) as source:
            big_w, big_h = _even(spec.width * _PAN_MARGIN), _even(spec.height * _PAN_MARGIN)
            # Draft mode lets JPEG decode at a reduced scale: big camera images load fast.
            source.draft("RGB", (big_w, big_h))
            upright = ImageOps.exif_transpose(source).convert("RGB")
            fitted = ImageOps.fit(upright, (big_w, big_h), Image.Resampling.BILINEAR)
            ycc = np.asarray(fitted.convert("YCbCr"))
    except RenderError:
        raise
    except Exception as exc:
        raise RenderError(f"not a readable image: {exc}") from exc
    y = np.ascontiguousarray(ycc[:, :, 0])
    u = np.ascontiguousarray(ycc[::2, ::2, 1])
    v = np.ascontiguousarray(ycc[::2, ::2, 2])
    return y, u, v


def _tone(spec: RenderSpec) -> np.ndarray:
    """A soft two-note chime, audible but not harsh, as planar float32 stereo."""
    import numpy as np

    n = round(spec.duration_s * SAMPLE_RATE)
    t = np.arange(n, dtype=np.float32) / SAMPLE_RATE
    freq = np.where((t % 1.0) < 0.5, 440.0, 660.0).astype(np.float32)
    phase = 2 * np.pi * np.cumsum(freq) / SAMPLE_RATE
    envelope = 0.25 * (0.6 + 0.4 * np.cos(2 * np.pi * 2 * t))
    mono = (np.sin(phase) * envelope).astype(np.float32)
    return np.stack([mono, mono])


def render_video(image: bytes, spec: RenderSpec, out: Path) -> None:
    """Encode `spec` from `image` into `out` (written in place; callers use a temp name)."""
    import av
    import numpy as np

    y_src, u_src, v_src = _prepare_planes(image, spec)
    w, h = spec.width, spec.height
    max_x, max_y = y_src.shape[1] - w, y_src.shape[0] - h
    frames = spec.frame_count
    bar_h = max(4, h // 90)

    with av.open(str(out), "w", format="mp4", options={"movflags": "+faststart"}) as container:
        video = container.add_stream(
            "libx264", rate=spec.fps, options={"preset": "veryfast", "crf": "26"}
        )
        video.width, video.height, video.pix_fmt = w, h, "yuv420p"
        video.thread_type = "AUTO"
        audio_stream = None
        if spec.audio:
            audio_stream = container.add_stream("aac", rate=SAMPLE_RATE, layout="stereo")

        yuv = np.empty((h * 3 // 2, w), dtype=np.uint8)
        y_dst = yuv[:h]
        u_dst = yuv[h : h + h // 4].reshape(h // 2, w // 2)
        v_dst = yuv[h + h // 4 :].reshape(h // 2, w // 2)
        for i in range(frames):
            progress = i / max(1, frames - 1)
            # An ellipse around the centre: motion in both axes, no jump at the loop point.
            angle = 2 * math.pi * progress
            x = int((0.5 + 0.5 * math.cos(angle)) * max_x) & ~1
            yy = int((0.5 + 0.5 * math.sin(angle)) * max_y) & ~1
            y_dst[:] = y_src[yy : yy + h, x : x + w]
            u_dst[:] = u_src[yy // 2 : yy // 2 + h // 2, x // 2 : x // 2 + w // 2]
            v_dst[:] = v_src[yy // 2 : yy // 2 + h // 2, x // 2 : x // 2 + w // 2]
            # A bar that sweeps across the bottom: frames change even for a flat image.
            y_dst[h - bar_h :, : max(2, int(w * progress))] = 235
            frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
            frame.pts = i
            frame.time_base = Fraction(1, spec.fps)
            container.mux(video.encode(frame))
        container.mux(video.encode(None))

        if audio_stream is not None:
            samples = _tone(spec)
            for start in range(0, samples.shape[1], _AAC_FRAME):
                chunk = np.ascontiguousarray(samples[:, start : start + _AAC_FRAME])
                af = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
                af.sample_rate = SAMPLE_RATE
                af.pts = start
                af.time_base = Fraction(1, SAMPLE_RATE)
                container.mux(audio_stream.encode(af))
            container.mux(audio_stream.encode(None))


class RenderCache:
    """Content-addressed renders on disk; concurrent requests for one key render once."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}
        # The machine has two cores: one render at a time leaves the other for the service.
        self._cpu = threading.Semaphore(1)

    def path_for(self, key: str) -> Path:
        return self.directory / f"{key}.mp4"

    def get_or_render(self, image: bytes, spec: RenderSpec) -> Path:
        """Blocking; call from a worker thread."""
        key = spec.cache_key(image)
        target = self.path_for(key)
        if target.exists():
            return target
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            if target.exists():
                return target
            fd, tmp_name = tempfile.mkstemp(suffix=".part.mp4", dir=self.directory)
            os.close(fd)
            tmp = Path(tmp_name)
            try:
                with self._cpu:
                    render_video(image, spec, tmp)
                os.replace(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)
        return target
