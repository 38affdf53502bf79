"""When the database refuses a transfer: a replay of the original (same id, same body), or
the precise reason, read back from the database after the refusal."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.ledger.accounts import wallet_id
from service.ledger.database import Violation, classify
from service.ledger.errors import (
    AlreadyResolved,
    CaptureExceedsReservation,
    InsufficientCredits,
    LedgerError,
    ReservationNotFound,
    TransferConflict,
)
from service.ledger.transfers import BALANCE, get_transfer, resolution_of, to_transfer
from shared.errors import ErrorCode
from shared.ledger_schemas import Transfer, TransferKind


def replay(row: Row[Any], body_sha256: str) -> Transfer:
    """The stored transfer for a retried request, or a conflict if the body differs."""
    if row._mapping["body_sha256"] != body_sha256:
        raise TransferConflict(row._mapping["id"])
    return to_transfer(row)


async def _available(conn: AsyncConnection, user_id: str) -> int:
    row = (await conn.execute(BALANCE.params(account=wallet_id(user_id)))).first()
    return int(row.posted) - int(row.reserved) if row is not None else 0


async def explain_refusal(
    engine: AsyncEngine,
    reason: str,
    transfer_id: str,
    body: str,
    *,
    pending_id: str | None = None,
    user_id: str | None = None,
    amount: int | None = None,
) -> Transfer:
    violation = classify(reason)
    async with engine.connect() as conn:
        existing = await get_transfer(conn, transfer_id)
        if existing is not None:
            return replay(existing, body)
        if violation in (Violation.INSUFFICIENT, Violation.MISSING_ACCOUNT) and user_id:
            # A missing wallet is an empty one.
            raise InsufficientCredits(user_id, amount or 0, await _available(conn, user_id))
        if pending_id is not None:
            if violation is Violation.ALREADY_RESOLVED:
                resolved = await resolution_of(conn, pending_id)
                if resolved is not None:
                    m = resolved._mapping
                    how = "captured" if m["kind"] == TransferKind.POST.value else "released"
                    raise AlreadyResolved(pending_id, how, m["id"])
            if violation is Violation.EXCEEDS_PENDING:
                held = await get_transfer(conn, pending_id)
                reserved = int(held._mapping["amount"]) if held is not None else 0
                raise CaptureExceedsReservation(pending_id, amount or 0, reserved)
            if violation is Violation.PENDING_NOT_FOUND:
                raise ReservationNotFound(pending_id)
    raise LedgerError(ErrorCode.INTERNAL, f"the ledger refused transfer {transfer_id!r}: {reason}")
