"""Poster frames: the first keyframe of a video as small JPEGs (SPEC section 7).

The probe already decodes that frame to prove the file plays, so posters for a fresh
download cost only a resize and an encode; ``first_frame`` decodes it again for a poster
that went missing (deleted by hand, or written by an older version).
"""

from __future__ import annotations

import io
from pathlib import Path

import av
from PIL import Image

from shared.media_schemas import ThumbnailSize

JPEG_QUALITY = 85


def first_frame(video: Path) -> Image.Image:
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        # Keyframes only: the decoder skips everything else, which is what makes this cheap.
        stream.codec_context.skip_frame = "NONKEY"
        for frame in container.decode(stream):
            image: Image.Image = frame.to_image()  # type: ignore[no-untyped-call]
            return image
    raise ValueError(f"{video.name} has no decodable keyframe")


def render(frame: Image.Image, size: ThumbnailSize) -> bytes:
    """A JPEG ``size`` pixels wide, keeping the frame's aspect ratio."""
    width = int(size)
    height = max(1, round(frame.height * width / frame.width))
    img = frame.convert("RGB")
    if img.width > 2 * width:
        # Halving with a box filter first makes LANCZOS cheap on 1080p frames.
        img = img.reduce(img.width // (2 * width))
    img = img.resize((width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def render_all(frame: Image.Image) -> dict[ThumbnailSize, bytes]:
    return {size: render(frame, size) for size in ThumbnailSize}
