"""Ledger accounts: one wallet per user and the system accounts on the other side of every
transfer, so the books always sum to zero."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Insert, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from service.ledger.errors import InvalidTransfer
from service.storage.base import utcnow
from service.storage.tables import AccountRow, UserRow

# Where captured credits go (a generation's charge), where grants and purchases come from.
SYSTEM_REVENUE = "system:revenue"
SYSTEM_GRANTS = "system:grants"
SYSTEM_PURCHASES = "system:purchases"
SYSTEM_ACCOUNTS = (SYSTEM_REVENUE, SYSTEM_GRANTS, SYSTEM_PURCHASES)

accounts = cast(Table, AccountRow.__table__)
users = cast(Table, UserRow.__table__)

WALLET_PREFIX = "wallet:"
MAX_USER_ID = 64  # users.id


def wallet_id(user_id: str) -> str:
    if not user_id or len(user_id) > MAX_USER_ID:
        raise InvalidTransfer(f"user id must be 1-{MAX_USER_ID} characters")
    return f"{WALLET_PREFIX}{user_id}"


def user_of(account_id: str) -> str | None:
    return account_id.removeprefix(WALLET_PREFIX) if account_id.startswith(WALLET_PREFIX) else None


def insert_ignoring_duplicates(conn: AsyncConnection, table: Table) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING in the connection's dialect."""
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    return postgresql.insert(table).on_conflict_do_nothing()


async def ensure_system_accounts(conn: AsyncConnection) -> None:
    stmt = insert_ignoring_duplicates(conn, accounts)
    now = utcnow()
    await conn.execute(
        stmt,
        [{"id": a, "kind": "system", "user_id": None, "created_at": now} for a in SYSTEM_ACCOUNTS],
    )


async def ensure_wallet(conn: AsyncConnection, user_id: str) -> str:
    """Create the user row and the wallet on first use (both idempotent)."""
    account = wallet_id(user_id)
    now = utcnow()
    await conn.execute(
        insert_ignoring_duplicates(conn, users),
        {"id": user_id, "display_name": "", "created_at": now},
    )
    await conn.execute(
        insert_ignoring_duplicates(conn, accounts),
        {"id": account, "kind": "wallet", "user_id": user_id, "created_at": now},
    )
    return account
