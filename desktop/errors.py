"""Every error the user sees, from its code as a human sentence (SPEC 5; shared/errors.py)."""

from __future__ import annotations

from shared.errors import ErrorCode, ReelcraftError, human_message

UNREACHABLE = "Can't reach the Reelcraft service. It will reconnect automatically."


def _unreachable(exc: ReelcraftError) -> bool:
    # Imported here: the client (httpx) loads after start-up, and only it raises this.
    from shared.client import ServiceUnreachable

    return isinstance(exc, ServiceUnreachable)


def explain(exc: ReelcraftError) -> str:
    """The sentence for an error: never a raw code or a stack trace."""
    if _unreachable(exc):
        return UNREACHABLE
    return human_message(exc.code)


def detail(exc: ReelcraftError) -> str:
    """The service's one-line reason, when it adds something to the sentence."""
    if _unreachable(exc) or exc.code is ErrorCode.INTERNAL:
        return ""
    return exc.message if exc.message and exc.message != human_message(exc.code) else ""
