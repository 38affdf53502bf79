"""Transactions and constraint violations, per backend.

SQLite: one writer at a time. A transaction whose first statement writes takes the write
lock at once (waiting on busy_timeout); one that reads first must say BEGIN IMMEDIATE, or
its later write can fail when another writer committed in between. PostgreSQL: row locks,
taken by the ledger triggers' UPDATEs, serialise writers per account.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import Enum

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.storage.db import write_gate


class Violation(Enum):
    DUPLICATE_TRANSFER = "duplicate_transfer"
    ALREADY_RESOLVED = "already_resolved"
    INSUFFICIENT = "insufficient"
    MISSING_ACCOUNT = "missing_account"
    PENDING_NOT_FOUND = "pending_not_found"
    EXCEEDS_PENDING = "exceeds_pending"
    IMMUTABLE = "immutable"
    DUPLICATE_PURCHASE = "duplicate_purchase"
    OTHER = "other"


# Constraint names are deterministic (storage naming convention); SQLite reports UNIQUE
# failures by column instead, and the trigger messages are the tokens raised in the triggers.
_PATTERNS: tuple[tuple[tuple[str, ...], Violation], ...] = (
    (("uq_ledger_transfers_pending_id", "ledger_transfers.pending_id"), Violation.ALREADY_RESOLVED),
    (("pk_ledger_transfers", "ledger_transfers.id"), Violation.DUPLICATE_TRANSFER),
    (("wallet_not_negative",), Violation.INSUFFICIENT),
    (("ledger_pending_not_found",), Violation.PENDING_NOT_FOUND),
    (("ledger_post_exceeds_pending",), Violation.EXCEEDS_PENDING),
    (("ledger_immutable",), Violation.IMMUTABLE),
    (
        (
            "pk_credit_purchases",
            "credit_purchases.checkout_session_id",
            "uq_credit_purchases_transfer_id",
            "credit_purchases.transfer_id",
        ),
        Violation.DUPLICATE_PURCHASE,
    ),
    (("foreign key",), Violation.MISSING_ACCOUNT),
)


def classify(error: DBAPIError | str) -> Violation:
    message = (error if isinstance(error, str) else str(error.orig)).lower()
    for needles, violation in _PATTERNS:
        if any(n in message for n in needles):
            return violation
    return Violation.OTHER


def is_sqlite(engine: AsyncEngine | AsyncConnection) -> bool:
    return engine.dialect.name == "sqlite"


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A transaction that may read before it writes, safe against concurrent writers (and
    behind the process's SQLite write gate, like every other writer)."""
    async with write_gate(engine), engine.connect() as conn:
        if is_sqlite(conn):
            # pysqlite leaves explicit transaction control alone once a transaction is open.
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            await conn.rollback()
            raise
        await conn.commit()
