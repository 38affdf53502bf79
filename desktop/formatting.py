"""How numbers and times read in the UI, in one place so every screen says it the same way."""

from __future__ import annotations


def credits(amount: int) -> str:
    return f"{amount:,} credit" + ("" if amount == 1 else "s")


def estimate(seconds: int) -> str:
    """The card's render estimate: seed 000 writes "~2 min"."""
    if seconds < 60:
        return f"~{seconds} s"
    return f"~{round(seconds / 60)} min"


def clock(seconds: float) -> str:
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def remaining(seconds: float | None) -> str:
    if seconds is None:
        return "estimating…"
    if seconds <= 5:
        return "almost done"
    if seconds < 60:
        return f"about {int(seconds)} s left"
    return f"about {round(seconds / 60)} min left"


def mask_secret(value: str) -> str:
    """Never show a key back in full: dots and its last four characters."""
    if len(value) <= 4:
        return "•" * len(value)
    return "••••" + value[-4:]
