"""HS256 JSON Web Tokens, the little that Kling's API needs (RFC 7519), without a dependency.

Kling signs `{"iss": access_key, "exp": now+1800, "nbf": now-5}` with the secret key; the
emulator verifies the same tokens and answers with Kling's 1000-1004 codes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any


class JWTError(ValueError):
    """Why a token was refused: `code` is Kling's business code (1002 invalid, 1004 expired...)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_hs256(payload: dict[str, Any], secret: str) -> str:
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    signing_input = f"{header}.{body}".encode("ascii")
    sig = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{body}.{_b64(sig)}"


def kling_token(
    access_key: str, secret_key: str, *, ttl_s: int = 1800, now: float | None = None
) -> str:
    issued = int(time.time() if now is None else now)
    return encode_hs256({"iss": access_key, "exp": issued + ttl_s, "nbf": issued - 5}, secret_key)


def decode_hs256(
    token: str, secret: str, *, leeway_s: int = 0, now: float | None = None
) -> dict[str, Any]:
    """Verified claims; raises JWTError with the matching Kling code."""
    parts = token.split(".")
    if len(parts) != 3:
        raise JWTError(1002, "token is not a JWT")
    try:
        header = json.loads(_unb64(parts[0]))
        claims = json.loads(_unb64(parts[1]))
        signature = _unb64(parts[2])
    except (ValueError, UnicodeDecodeError) as exc:
        raise JWTError(1002, "token is not a JWT") from exc
    if not isinstance(header, dict) or header.get("alg") != "HS256" or not isinstance(claims, dict):
        raise JWTError(1002, "token must be HS256")
    expected = hmac.new(
        secret.encode(), f"{parts[0]}.{parts[1]}".encode("ascii"), hashlib.sha256
    ).digest()
    if not hmac.compare_digest(expected, signature):
        raise JWTError(1002, "signature verification failed")
    current = time.time() if now is None else now
    nbf, exp = claims.get("nbf"), claims.get("exp")
    if isinstance(nbf, int | float) and current + leeway_s < nbf:
        raise JWTError(1003, "token is not yet valid")
    if not isinstance(exp, int | float) or current - leeway_s >= exp:
        raise JWTError(1004, "token has expired")
    return claims
