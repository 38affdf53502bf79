"""The transfer statements. Each operation is ONE statement: the database triggers apply it to
both accounts and refuse what breaks an invariant (see service/storage/tables/ledger.py).

That is what keeps the ledger fast on the async stack, where every statement costs a thread
hop or a network round trip: a reservation or a capture costs what a plain committed insert
costs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Insert,
    Row,
    String,
    Table,
    bindparam,
    exists,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from service.ledger.accounts import accounts
from service.storage.base import UTCDateTime
from service.storage.tables import TransferRow
from shared.ledger_schemas import SOURCE_REFUND, Transfer, TransferKind

transfers = cast(Table, TransferRow.__table__)


def to_transfer(row: Row[Any] | Mapping[str, Any]) -> Transfer:
    m = row._mapping if isinstance(row, Row) else row
    return Transfer(
        id=m["id"],
        kind=TransferKind(m["kind"]),
        debit_account=m["debit_account_id"],
        credit_account=m["credit_account_id"],
        amount=m["amount"],
        pending_id=m["pending_id"],
        source=m["source"],
        job_id=m["job_id"],
        extra=dict(m["extra"] or {}),
        timeout_at=m["timeout_at"],
        created_at=m["created_at"],
    )


# A plain insert: single (posted at once) and pending (reservation) transfers.
INSERT_TRANSFER = insert(transfers)
INSERT_COLUMNS = (
    "id",
    "kind",
    "debit_account_id",
    "credit_account_id",
    "amount",
    "pending_id",
    "source",
    "job_id",
    "extra",
    "body_sha256",
    "timeout_at",
    "created_at",
)


def _resolution(kind: TransferKind) -> Insert:
    """INSERT ... SELECT from the reservation: the resolution inherits its accounts and job."""
    pending = transfers.alias("p")
    amount: ColumnElement[Any]
    source: ColumnElement[Any]
    if kind is TransferKind.POST:
        amount = func.coalesce(bindparam("amount", type_=BigInteger()), pending.c.amount)
        source = pending.c.source
    else:
        amount, source = pending.c.amount, literal(SOURCE_REFUND, String())
    chosen = select(
        bindparam("id", type_=String()),
        literal(kind.value, String()),
        pending.c.debit_account_id,
        pending.c.credit_account_id,
        amount,
        pending.c.id,
        source,
        pending.c.job_id,
        bindparam("extra", type_=transfers.c.extra.type),
        bindparam("body_sha256", type_=String()),
        bindparam("created_at", type_=UTCDateTime()),
    ).where(pending.c.id == bindparam("pending_id", type_=String()), pending.c.kind == "pending")
    columns = [
        "id",
        "kind",
        "debit_account_id",
        "credit_account_id",
        "amount",
        "pending_id",
        "source",
        "job_id",
        "extra",
        "body_sha256",
        "created_at",
    ]
    return insert(transfers).from_select(columns, chosen).returning(*transfers.c)


POST_PENDING = _resolution(TransferKind.POST)
VOID_PENDING = _resolution(TransferKind.VOID)


_POSTED = (accounts.c.credits_posted - accounts.c.debits_posted).label("posted")
_RESERVED = accounts.c.debits_pending.label("reserved")
BALANCE = select(_POSTED, _RESERVED).where(accounts.c.id == bindparam("account", type_=String()))
BALANCE_COLUMNS = [_POSTED, _RESERVED]


async def get_transfer(conn: AsyncConnection, transfer_id: str) -> Row[Any] | None:
    result = await conn.execute(select(transfers).where(transfers.c.id == transfer_id))
    return result.first()


async def resolution_of(conn: AsyncConnection, pending_id: str) -> Row[Any] | None:
    """The post or void that resolved a reservation, if any."""
    result = await conn.execute(select(transfers).where(transfers.c.pending_id == pending_id))
    return result.first()


async def expired_reservations(conn: AsyncConnection, now: datetime, limit: int) -> list[str]:
    resolved = transfers.alias("r")
    query = (
        select(transfers.c.id)
        .where(
            transfers.c.kind == "pending",
            transfers.c.timeout_at <= now,
            ~exists().where(resolved.c.pending_id == transfers.c.id),
        )
        .order_by(transfers.c.timeout_at)
        .limit(limit)
    )
    return list((await conn.execute(query)).scalars())


async def open_reservations(
    conn: AsyncConnection, *, account: str | None = None, job_id: str | None = None
) -> list[Transfer]:
    resolved = transfers.alias("r")
    query = select(transfers).where(
        transfers.c.kind == "pending", ~exists().where(resolved.c.pending_id == transfers.c.id)
    )
    if account is not None:
        query = query.where(transfers.c.debit_account_id == account)
    if job_id is not None:
        query = query.where(transfers.c.job_id == job_id)
    rows = await conn.execute(query.order_by(transfers.c.created_at, transfers.c.id))
    return [to_transfer(r) for r in rows]
