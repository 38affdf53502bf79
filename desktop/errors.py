"""Every error the user sees, from its code as a human sentence (SPEC 5; shared/errors.py)."""

from __future__ import annotations

from shared.client import ServiceUnreachable
from shared.errors import ErrorCode, ReelcraftError, human_message

UNREACHABLE = "Can't reach the Reelcraft service. It will reconnect automatically."


def explain(exc: ReelcraftError) -> str:
    """The sentence for an error: never a raw code or a stack trace."""
    if isinstance(exc, ServiceUnreachable):
        return UNREACHABLE
    return human_message(exc.code)


def detail(exc: ReelcraftError) -> str:
    """The service's one-line reason, when it adds something to the sentence."""
    if isinstance(exc, ServiceUnreachable) or exc.code is ErrorCode.INTERNAL:
        return ""
    return exc.message if exc.message and exc.message != human_message(exc.code) else ""
