"""Small real videos and images for the media tests, made in-process with PyAV and Pillow."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import av
import numpy as np
from PIL import Image


def make_clip(
    path: Path,
    *,
    width: int = 320,
    height: int = 240,
    seconds: float = 2.0,
    fps: int = 24,
    audio: bool = True,
    faststart: bool = True,
    seed: int = 7,
) -> Path:
    """An H.264 (+ AAC) MP4 with moving content; faststart puts the index in front, as
    providers and the emulator do (a cut-off copy of such a file still opens)."""
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", format="mp4", options=options) as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast"}
        sound = out.add_stream("aac", rate=44100) if audio else None
        frames = round(seconds * fps)
        rng = np.random.default_rng(seed)
        base = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
        for i in range(frames):
            img = np.roll(base, i * 3, axis=1)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if sound is not None:
            rate = 44100
            t = np.arange(int(rate * seconds)) / rate
            samples = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            for start in range(0, len(samples), 1024):
                block = av.AudioFrame.from_ndarray(
                    samples[None, start : start + 1024], format="fltp", layout="mono"
                )
                block.sample_rate, block.pts = rate, start
                for packet in sound.encode(block):
                    out.mux(packet)
            for packet in sound.encode():
                out.mux(packet)
    return path


def image_bytes(
    fmt: str, size: tuple[int, int] = (640, 480), mode: str = "RGB", **save: object
) -> bytes:
    """A real image with some structure (so JPEG/WebP encoders have something to encode)."""
    w, h = size
    x = np.linspace(0, 255, w, dtype=np.uint8)[None, :].repeat(h, 0)
    y = np.linspace(0, 255, h, dtype=np.uint8)[:, None].repeat(w, 1)
    rgb = np.stack([x, y, (x // 2 + y // 2)], axis=-1)
    img = Image.fromarray(rgb, "RGB")
    if mode != "RGB":
        img = img.convert(mode)
    out = io.BytesIO()
    img.save(out, format=fmt, **save)
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def huge_png(side: int = 30000) -> bytes:
    """A complete, valid 1-bit greyscale PNG of side x side pixels (~100 KB on disk).

    Built by hand because Pillow would need the whole bitmap in memory to write it.
    """
    row = b"\x00" + bytes((side + 7) // 8)  # filter byte + packed pixels
    comp = zlib.compressobj(9)
    body = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", body)
        + _png_chunk(b"IEND", b"")
    )
