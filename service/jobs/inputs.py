"""How a job's character image reaches the provider: bytes, or a signed expiring URL that the
service itself serves (providers that take `image_url` fetch it from there)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from PIL import Image

from service.providers.base import InputImage
from shared.api_schemas import API_PREFIX
from shared.errors import ErrorCode, ReelcraftError
from shared.media_schemas import InputImage as MediaInputImage


@dataclass
class InputSigner:
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    lifetime_s: int = 24 * 3600

    def _mac(self, sha256: str, expires: int) -> str:
        return hmac.new(self.key, f"{sha256}:{expires}".encode(), hashlib.sha256).hexdigest()

    def sign(self, sha256: str, now: float | None = None) -> tuple[int, str]:
        expires = int((now or time.time()) + self.lifetime_s)
        return expires, self._mac(sha256, expires)

    def verify(self, sha256: str, expires: int, signature: str) -> bool:
        if expires < time.time():
            return False
        return hmac.compare_digest(self._mac(sha256, expires).encode(), signature.encode())


class InputFiles(Protocol):
    async def input_file(self, sha256: str) -> tuple[Path, str] | None:
        """The stored image's path and mime type, if present."""

    async def ingest_input(self, data: bytes, filename: str | None) -> MediaInputImage: ...


def _ratio(aspect_ratio: str) -> float | None:
    width, _, height = aspect_ratio.partition(":")
    try:
        return float(width) / float(height)
    except ValueError:
        return None


def crop_to_aspect(data: bytes, aspect_ratio: str, tolerance: float = 0.02) -> bytes | None:
    """A centre crop of the image to the requested aspect ratio, or None if it already fits.

    Image-to-video providers take the frame shape from the image, so a square character
    asked for 9:16 would come back square; cropping here makes every route honour it."""
    target = _ratio(aspect_ratio)
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        if target is None or abs(width / height - target) / target <= tolerance:
            return None
        if width / height > target:
            new_width = round(height * target)
            left = (width - new_width) // 2
            box = (left, 0, left + new_width, height)
        else:
            new_height = round(width / target)
            top = (height - new_height) // 4  # keep more headroom: faces sit high in portraits
            box = (0, top, width, top + new_height)
        cropped = image.crop(box)
        out = io.BytesIO()
        cropped.save(out, "PNG")
        return out.getvalue()


@dataclass
class JobInputs:
    files: InputFiles
    signer: InputSigner
    public_base_url: str
    _framed_cache: dict[tuple[str, str], str] = field(default_factory=dict)

    def public_url(self, sha256: str) -> str:
        expires, sig = self.signer.sign(sha256)
        return f"{self.public_base_url}{API_PREFIX}/public/inputs/{sha256}?exp={expires}&sig={sig}"

    async def _framed(self, sha256: str, aspect_ratio: str) -> str:
        """The hash of the image to send: the character itself, or its crop to the aspect
        ratio. Remembered, so many jobs (and retries) with one image crop it once."""
        key = (sha256, aspect_ratio)
        if key in self._framed_cache:
            return self._framed_cache[key]
        found = await self.files.input_file(sha256)
        if found is None:
            raise ReelcraftError(ErrorCode.INVALID_INPUT, "the character image is missing")
        data = await asyncio.to_thread(found[0].read_bytes)
        cropped = await asyncio.to_thread(crop_to_aspect, data, aspect_ratio)
        framed = sha256
        if cropped is not None:
            # Stored like any input (by hash), so the provider can fetch it by URL too.
            stored = await self.files.ingest_input(cropped, f"{sha256}-{aspect_ratio}.png")
            framed = stored.sha256
        self._framed_cache[key] = framed
        return framed

    async def submit_image(self, sha256: str, transport: str, aspect_ratio: str = "") -> InputImage:
        framed = await self._framed(sha256, aspect_ratio)
        found = await self.files.input_file(framed)
        if found is None:
            raise ReelcraftError(ErrorCode.INVALID_INPUT, "the character image is missing")
        path, mime = found
        return InputImage(
            data=await asyncio.to_thread(path.read_bytes),
            mime_type=mime,
            public_url=self.public_url(framed) if transport == "url" else None,
        )
