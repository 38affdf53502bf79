"""Ledger errors: each carries a contract error code (shared.errors) and a precise reason."""

from __future__ import annotations

from shared.errors import ErrorCode, ReelcraftError


class LedgerError(ReelcraftError):
    """Base of every ledger refusal."""


class InsufficientCredits(LedgerError):
    def __init__(self, user_id: str, required: int, available: int) -> None:
        super().__init__(
            ErrorCode.INSUFFICIENT_CREDITS,
            f"{required} credits needed, {available} available",
            detail={
                "user_id": user_id,
                "required": required,
                "available": available,
                "shortfall": max(required - available, 0),
            },
        )


class TransferConflict(LedgerError):
    """The transfer id was used before for a different request (same id, different body)."""

    def __init__(self, transfer_id: str) -> None:
        super().__init__(
            ErrorCode.INVALID_INPUT,
            f"transfer id {transfer_id!r} was already used for a different request",
            detail={"transfer_id": transfer_id},
        )


class ReservationNotFound(LedgerError):
    def __init__(self, pending_id: str) -> None:
        super().__init__(
            ErrorCode.INVALID_INPUT,
            f"no reservation {pending_id!r}",
            detail={"pending_id": pending_id},
        )


class AlreadyResolved(LedgerError):
    """The reservation was already captured or released (each resolves at most once)."""

    def __init__(self, pending_id: str, resolution: str, by_transfer: str) -> None:
        super().__init__(
            ErrorCode.INVALID_INPUT,
            f"reservation {pending_id!r} was already {resolution} by {by_transfer!r}",
            detail={"pending_id": pending_id, "resolution": resolution, "by_transfer": by_transfer},
        )
        self.pending_id = pending_id
        self.resolution = resolution
        self.by_transfer = by_transfer


class CaptureExceedsReservation(LedgerError):
    def __init__(self, pending_id: str, amount: int, reserved: int) -> None:
        super().__init__(
            ErrorCode.INVALID_INPUT,
            f"cannot capture {amount} credits of a {reserved}-credit reservation",
            detail={"pending_id": pending_id, "amount": amount, "reserved": reserved},
        )


class InvalidTransfer(LedgerError):
    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.INVALID_INPUT, message)


class LedgerNotReady(LedgerError):
    """The database lacks the ledger's triggers: migrations were not run (or lost them)."""

    def __init__(self, missing: set[str]) -> None:
        super().__init__(
            ErrorCode.INTERNAL,
            f"the ledger's database triggers are missing ({', '.join(sorted(missing))}); "
            "run the migrations",
        )


class LedgerUnavailable(LedgerError):
    """The database failed underneath an operation (connection lost, locked too long). The
    operation's outcome is unknown: retry it with the same transfer id."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(
            ErrorCode.INTERNAL,
            f"the ledger's database failed: {type(cause).__name__}: {cause}",
        )
