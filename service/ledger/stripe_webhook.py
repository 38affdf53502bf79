"""Stripe webhook signatures (the `Stripe-Signature` scheme).

The header is `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed by the endpoint
secret>` (possibly several v1 entries while a secret is being rolled). A payload is accepted
only if one v1 matches in constant time and t is within the tolerance of now, so a captured
event cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from shared.errors import ErrorCode, ReelcraftError

DEFAULT_TOLERANCE_S = 300


class SignatureError(ReelcraftError):
    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.INVALID_INPUT, f"webhook signature: {message}")


def compute_signature(payload: bytes, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify(
    payload: bytes,
    header: str | None,
    secret: str,
    *,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
    now: float | None = None,
) -> dict[str, Any]:
    """The verified event (parsed JSON), or SignatureError."""
    if not header:
        raise SignatureError("missing Stripe-Signature header")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureError("malformed timestamp") from None
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureError("no timestamp or no v1 signature in the header")
    expected = compute_signature(payload, secret, timestamp)
    # Check every candidate so the time taken does not reveal which one (if any) matched.
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureError("no signature matches the payload")
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        raise SignatureError(f"timestamp outside the {tolerance_s} s tolerance")
    try:
        event = json.loads(payload)
    except json.JSONDecodeError:
        raise SignatureError("the payload is not JSON") from None
    if not isinstance(event, dict):
        raise SignatureError("the payload is not an event object")
    return event
