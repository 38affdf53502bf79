"""A wallet's statement: its transfers, newest first, in keyset pages.

The cursor is the (created_at, id) of the last entry shown, so a page costs two index range
scans (the wallet as debit side, the wallet as credit side) whatever the history's length,
and entries added meanwhile never shift a page.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from service.ledger.accounts import wallet_id
from service.ledger.errors import InvalidTransfer
from service.ledger.transfers import transfers
from service.storage.base import UTCDateTime
from shared.ledger_schemas import (
    ReservationStatus,
    StatementEntry,
    StatementPage,
    TransferKind,
)

MAX_PAGE = 500


def encode_cursor(at: datetime, transfer_id: str) -> str:
    raw = json.dumps([at.isoformat(), transfer_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, transfer_id = json.loads(raw)
        parsed = datetime.fromisoformat(at)
        if parsed.tzinfo is None or not isinstance(transfer_id, str):
            raise ValueError(cursor)
        return parsed, transfer_id
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise InvalidTransfer("invalid statement cursor") from None


async def _side(
    conn: AsyncConnection,
    column: ColumnElement[Any],
    account: str,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[Row[Any]]:
    query = select(transfers).where(column == account)
    if after is not None:
        key = tuple_(literal(after[0], UTCDateTime()), literal(after[1]))
        query = query.where(tuple_(transfers.c.created_at, transfers.c.id) < key)
    query = query.order_by(transfers.c.created_at.desc(), transfers.c.id.desc()).limit(limit)
    return list(await conn.execute(query))


def _deltas(kind: TransferKind, amount: int, held: int, is_debit: bool) -> tuple[int, int]:
    """(posted, reserved) change of the wallet; `held` is the reservation's amount."""
    if not is_debit:
        # Credits coming in: pending credits are not the wallet's to spend until posted.
        return (amount if kind in (TransferKind.SINGLE, TransferKind.POST) else 0), 0
    if kind is TransferKind.SINGLE:
        return -amount, 0
    if kind is TransferKind.PENDING:
        return 0, amount
    if kind is TransferKind.POST:
        return -amount, -held
    return 0, -held


async def read_page(
    conn: AsyncConnection, user_id: str, cursor: str | None, limit: int
) -> StatementPage:
    if not 0 < limit <= MAX_PAGE:
        raise InvalidTransfer(f"limit must be 1-{MAX_PAGE}")
    account = wallet_id(user_id)
    after = decode_cursor(cursor) if cursor else None
    rows = await _side(conn, transfers.c.debit_account_id, account, after, limit + 1)
    rows += await _side(conn, transfers.c.credit_account_id, account, after, limit + 1)
    rows.sort(key=lambda r: (r._mapping["created_at"], r._mapping["id"]), reverse=True)
    more = len(rows) > limit
    rows = rows[:limit]

    # Resolutions need their reservation (amount held, what it was for); reservations show
    # whether they are still open.
    pending_ids = {r._mapping["pending_id"] for r in rows if r._mapping["pending_id"]}
    reservation_ids = [r._mapping["id"] for r in rows if r._mapping["kind"] == "pending"]
    held: dict[str, Any] = {}
    if pending_ids:
        query = select(transfers.c.id, transfers.c.amount, transfers.c.extra).where(
            transfers.c.id.in_(pending_ids)
        )
        held = {r.id: r for r in await conn.execute(query)}
    outcome: dict[str, ReservationStatus] = {}
    if reservation_ids:
        query = select(transfers.c.pending_id, transfers.c.kind).where(
            transfers.c.pending_id.in_(reservation_ids)
        )
        outcome = {
            r.pending_id: ReservationStatus.CAPTURED
            if r.kind == "post"
            else ReservationStatus.RELEASED
            for r in await conn.execute(query)
        }

    entries = []
    for r in rows:
        m = r._mapping
        kind = TransferKind(m["kind"])
        reservation = held.get(m["pending_id"]) if m["pending_id"] else None
        held_amount = int(reservation.amount) if reservation is not None else 0
        posted, reserved = _deltas(kind, m["amount"], held_amount, m["debit_account_id"] == account)
        extra = dict(reservation.extra or {}) if reservation is not None else {}
        extra.update(m["extra"] or {})
        if kind is TransferKind.VOID:
            extra["refund_amount"] = m["amount"]
        elif kind is TransferKind.POST and held_amount > m["amount"]:
            extra["released"] = held_amount - m["amount"]
        entries.append(
            StatementEntry(
                id=m["id"],
                at=m["created_at"],
                kind=kind,
                source=m["source"],
                amount=m["amount"],
                posted_delta=posted,
                reserved_delta=reserved,
                available_delta=posted - reserved,
                job_id=m["job_id"],
                pending_id=m["pending_id"],
                status=(
                    outcome.get(m["id"], ReservationStatus.OPEN)
                    if kind is TransferKind.PENDING
                    else None
                ),
                extra=extra,
            )
        )
    next_cursor = encode_cursor(entries[-1].at, entries[-1].id) if more and entries else None
    return StatementPage(user_id=user_id, entries=entries, next_cursor=next_cursor)
