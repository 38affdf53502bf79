"""How a job's character image reaches the provider: bytes, or a signed expiring URL that the
service itself serves (providers that take `image_url` fetch it from there)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from service.providers.base import InputImage
from shared.api_schemas import API_PREFIX
from shared.errors import ErrorCode, ReelcraftError


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


@dataclass
class JobInputs:
    files: InputFiles
    signer: InputSigner
    public_base_url: str

    def public_url(self, sha256: str) -> str:
        expires, sig = self.signer.sign(sha256)
        return f"{self.public_base_url}{API_PREFIX}/public/inputs/{sha256}?exp={expires}&sig={sig}"

    async def submit_image(self, sha256: str, transport: str) -> InputImage:
        found = await self.files.input_file(sha256)
        if found is None:
            raise ReelcraftError(ErrorCode.INVALID_INPUT, "the character image is missing")
        path, mime = found
        return InputImage(
            data=path.read_bytes(),
            mime_type=mime,
            public_url=self.public_url(sha256) if transport == "url" else None,
        )
