"""Character images made on the fly (no binary fixtures in the repo)."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw


def character_png(width: int = 576, height: int = 1024, hue: int = 0) -> bytes:
    image = Image.new("RGB", (width, height), ((40 + hue) % 256, 60, 120))
    draw = ImageDraw.Draw(image)
    draw.ellipse((width * 0.25, height * 0.2, width * 0.75, height * 0.55), fill=(240, 200, 160))
    draw.rectangle((width * 0.3, height * 0.55, width * 0.7, height * 0.95), fill=(200, 60, 80))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def write_character(path: Path, **kwargs: int) -> Path:
    path.write_bytes(character_png(**kwargs))
    return path
