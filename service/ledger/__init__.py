"""The credits ledger (SPEC 6): two-phase, idempotent, never negative, never refunded twice.

    async with Ledger(engine) as ledger:  # close() before engine.dispose()
        hold = await ledger.reserve("job:42:reserve", "alice", 250, "video_post_kling", "42",
                                    extra)
        await ledger.capture("job:42:capture", hold.id)  # or: release(..., reason)

Purchases (Stripe Checkout) live in `service.ledger.purchases`; the invariants' auditor in
`Ledger.audit()`.
"""

from service.ledger.accounts import SYSTEM_GRANTS, SYSTEM_PURCHASES, SYSTEM_REVENUE, wallet_id
from service.ledger.audit import AuditReport
from service.ledger.errors import (
    AlreadyResolved,
    CaptureExceedsReservation,
    InsufficientCredits,
    InvalidTransfer,
    LedgerError,
    LedgerNotReady,
    LedgerUnavailable,
    ReservationNotFound,
    TransferConflict,
)
from service.ledger.ids import JobTransferIds, derived_id
from service.ledger.ledger import DEFAULT_TIMEOUT_S, Ledger

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "SYSTEM_GRANTS",
    "SYSTEM_PURCHASES",
    "SYSTEM_REVENUE",
    "AlreadyResolved",
    "AuditReport",
    "CaptureExceedsReservation",
    "InsufficientCredits",
    "InvalidTransfer",
    "JobTransferIds",
    "Ledger",
    "LedgerError",
    "LedgerNotReady",
    "LedgerUnavailable",
    "ReservationNotFound",
    "TransferConflict",
    "derived_id",
    "wallet_id",
]
