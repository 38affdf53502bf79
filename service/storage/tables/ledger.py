"""The credits ledger: double-entry accounts and immutable two-phase transfers (SPEC 6).

The database itself is the ledger's state machine. Inserting a transfer row is the only way
to move credits: triggers (installed with the table, see `install_triggers`) validate the
transfer against its reservation and apply it to both accounts in the same statement, so
the account balances can never drift from the transfers, whatever code writes them.
Constraints refuse the rest: a wallet below zero (CHECK), a reservation resolved twice
(UNIQUE `pending_id`), a transfer id reused (primary key), an edited or deleted transfer
(triggers).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from service.storage.base import Base, JsonColumn, UTCDateTime, utcnow


class AccountRow(Base):
    __tablename__ = "ledger_accounts"
    __table_args__ = (
        # A wallet never goes below zero, pending debits included (checked by the database too).
        CheckConstraint(
            "kind != 'wallet' OR credits_posted - debits_posted - debits_pending >= 0",
            name="wallet_not_negative",
        ),
        CheckConstraint(
            "debits_posted >= 0 AND credits_posted >= 0 AND debits_pending >= 0 "
            "AND credits_pending >= 0",
            name="amounts_not_negative",
        ),
        CheckConstraint("kind IN ('wallet', 'system')", name="kind_known"),
    )

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # wallet | system
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), unique=True)
    debits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    debits_pending: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_pending: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TransferRow(Base):
    """An immutable transfer with a caller-chosen id (TigerBeetle-style).

    kind: `single` (posted at once), `pending` (a reservation), `post` or `void` (resolving a
    pending transfer named by `pending_id`). The unique constraint on `pending_id` makes the
    database itself refuse a second resolution of one reservation.
    """

    __tablename__ = "ledger_transfers"
    __table_args__ = (
        UniqueConstraint("pending_id", name="uq_ledger_transfers_pending_id"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint(
            "(kind IN ('post', 'void')) = (pending_id IS NOT NULL)", name="resolution_has_pending"
        ),
        CheckConstraint("kind IN ('single', 'pending', 'post', 'void')", name="kind_known"),
        CheckConstraint("debit_account_id != credit_account_id", name="distinct_accounts"),
        Index("ix_ledger_transfers_debit", "debit_account_id", "created_at"),
        Index("ix_ledger_transfers_credit", "credit_account_id", "created_at"),
        Index("ix_ledger_transfers_job", "job_id"),
        # The sweeper looks for reservations past their timeout.
        Index("ix_ledger_transfers_timeout", "timeout_at"),
    )

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    debit_account_id: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.id"))
    credit_account_id: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    pending_id: Mapped[str | None] = mapped_column(ForeignKey("ledger_transfers.id"))
    source: Mapped[str] = mapped_column(String(40))
    job_id: Mapped[str | None] = mapped_column(String(36))
    extra: Mapped[dict[str, Any]] = mapped_column(JsonColumn, default=dict)
    # sha256 of the canonical request body: same id + different body is an error.
    body_sha256: Mapped[str] = mapped_column(String(64))
    timeout_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PurchaseRow(Base):
    """A Stripe Checkout purchase; credited exactly once through `transfer_id`."""

    __tablename__ = "credit_purchases"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'paid', 'expired')", name="status_known"),
        # Paid means credited: the status and the ledger transfer are written together.
        CheckConstraint("(status = 'paid') = (transfer_id IS NOT NULL)", name="paid_is_credited"),
        CheckConstraint("credits > 0 AND amount_cents > 0", name="amounts_positive"),
        Index("ix_credit_purchases_user", "user_id", "created_at"),
    )

    checkout_session_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    package: Mapped[str] = mapped_column(String(40))
    credits: Mapped[int] = mapped_column(BigInteger)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(8), default="usd")
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | paid | expired
    checkout_url: Mapped[str | None] = mapped_column(Text)
    transfer_id: Mapped[str | None] = mapped_column(ForeignKey("ledger_transfers.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    credited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# --- Triggers: the ledger's state machine, in the database ---------------------------------
#
# Error messages are stable tokens: service.ledger maps them to user-facing errors.

_SQLITE_TRIGGERS = {
    "ledger_transfers_check": """
CREATE TRIGGER IF NOT EXISTS ledger_transfers_check BEFORE INSERT ON ledger_transfers
BEGIN
  SELECT RAISE(ABORT, 'ledger_pending_not_found') WHERE NEW.pending_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM ledger_transfers p WHERE p.id = NEW.pending_id
                    AND p.kind = 'pending' AND p.debit_account_id = NEW.debit_account_id
                    AND p.credit_account_id = NEW.credit_account_id);
  SELECT RAISE(ABORT, 'ledger_post_exceeds_pending') WHERE NEW.kind = 'post'
    AND NEW.amount > (SELECT amount FROM ledger_transfers WHERE id = NEW.pending_id);
  SELECT RAISE(ABORT, 'ledger_void_amount') WHERE NEW.kind = 'void'
    AND NEW.amount != (SELECT amount FROM ledger_transfers WHERE id = NEW.pending_id);
END""",
    "ledger_transfers_apply_single": """
CREATE TRIGGER IF NOT EXISTS ledger_transfers_apply_single AFTER INSERT ON ledger_transfers
WHEN NEW.kind = 'single'
BEGIN
  UPDATE ledger_accounts SET debits_posted = debits_posted + NEW.amount
    WHERE id = NEW.debit_account_id;
  UPDATE ledger_accounts SET credits_posted = credits_posted + NEW.amount
    WHERE id = NEW.credit_account_id;
END""",
    "ledger_transfers_apply_pending": """
CREATE TRIGGER IF NOT EXISTS ledger_transfers_apply_pending AFTER INSERT ON ledger_transfers
WHEN NEW.kind = 'pending'
BEGIN
  UPDATE ledger_accounts SET debits_pending = debits_pending + NEW.amount
    WHERE id = NEW.debit_account_id;
  UPDATE ledger_accounts SET credits_pending = credits_pending + NEW.amount
    WHERE id = NEW.credit_account_id;
END""",
    # Posting less than the reservation releases the remainder (TigerBeetle semantics).
    "ledger_transfers_apply_post": """
CREATE TRIGGER IF NOT EXISTS ledger_transfers_apply_post AFTER INSERT ON ledger_transfers
WHEN NEW.kind = 'post'
BEGIN
  UPDATE ledger_accounts SET
    debits_pending = debits_pending
      - (SELECT amount FROM ledger_transfers WHERE id = NEW.pending_id),
    debits_posted = debits_posted + NEW.amount
    WHERE id = NEW.debit_account_id;
  UPDATE ledger_accounts SET
    credits_pending = credits_pending
      - (SELECT amount FROM ledger_transfers WHERE id = NEW.pending_id),
    credits_posted = credits_posted + NEW.amount
    WHERE id = NEW.credit_account_id;
END""",
    "ledger_transfers_apply_void": """
CREATE TRIGGER IF NOT EXISTS ledger_transfers_apply_void AFTER INSERT ON ledger_transfers
WHEN NEW.kind = 'void'
BEGIN
  UPDATE ledger_accounts SET debits_pending = debits_pending - NEW.amount
    WHERE id = NEW.debit_account_id;
  UPDATE ledger_accounts SET credits_pending = credits_pending - NEW.amount
    WHERE id = NEW.credit_account_id;
END""",
    "ledger_transfers_no_update": """
CREATE TRIGGER IF NOT EXISTS ledger_transfers_no_update BEFORE UPDATE ON ledger_transfers
BEGIN
  SELECT RAISE(ABORT, 'ledger_immutable');
END""",
    "ledger_transfers_no_delete": """
CREATE TRIGGER IF NOT EXISTS ledger_transfers_no_delete BEFORE DELETE ON ledger_transfers
BEGIN
  SELECT RAISE(ABORT, 'ledger_immutable');
END""",
}

# PostgreSQL: one row trigger does what the SQLite ones do. Its UPDATEs take the account row
# locks (debit account first, then credit account; no transfer debits a system account and
# credits a wallet after locking it the other way, so the order cannot deadlock), and the
# wallet CHECK is evaluated on the locked, latest row: concurrent reservations cannot overspend.
_PG_FUNCTIONS = {
    "ledger_apply_transfer": """
CREATE OR REPLACE FUNCTION ledger_apply_transfer() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  p ledger_transfers%ROWTYPE;
BEGIN
  IF NEW.kind = 'single' THEN
    UPDATE ledger_accounts SET debits_posted = debits_posted + NEW.amount
      WHERE id = NEW.debit_account_id;
    UPDATE ledger_accounts SET credits_posted = credits_posted + NEW.amount
      WHERE id = NEW.credit_account_id;
  ELSIF NEW.kind = 'pending' THEN
    UPDATE ledger_accounts SET debits_pending = debits_pending + NEW.amount
      WHERE id = NEW.debit_account_id;
    UPDATE ledger_accounts SET credits_pending = credits_pending + NEW.amount
      WHERE id = NEW.credit_account_id;
  ELSE
    SELECT * INTO p FROM ledger_transfers WHERE id = NEW.pending_id AND kind = 'pending';
    IF NOT FOUND OR p.debit_account_id <> NEW.debit_account_id
       OR p.credit_account_id <> NEW.credit_account_id THEN
      RAISE EXCEPTION 'ledger_pending_not_found' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.kind = 'post' AND NEW.amount > p.amount THEN
      RAISE EXCEPTION 'ledger_post_exceeds_pending' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.kind = 'void' AND NEW.amount <> p.amount THEN
      RAISE EXCEPTION 'ledger_void_amount' USING ERRCODE = 'check_violation';
    END IF;
    UPDATE ledger_accounts SET debits_pending = debits_pending - p.amount,
        debits_posted = debits_posted + CASE WHEN NEW.kind = 'post' THEN NEW.amount ELSE 0 END
      WHERE id = NEW.debit_account_id;
    UPDATE ledger_accounts SET credits_pending = credits_pending - p.amount,
        credits_posted = credits_posted + CASE WHEN NEW.kind = 'post' THEN NEW.amount ELSE 0 END
      WHERE id = NEW.credit_account_id;
  END IF;
  RETURN NULL;
END $$""",
    "ledger_transfers_immutable": """
CREATE OR REPLACE FUNCTION ledger_transfers_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger_immutable' USING ERRCODE = 'check_violation';
END $$""",
}

_PG_TRIGGERS = {
    "ledger_transfers_apply": """
CREATE TRIGGER ledger_transfers_apply AFTER INSERT ON ledger_transfers
FOR EACH ROW EXECUTE FUNCTION ledger_apply_transfer()""",
    "ledger_transfers_no_change": """
CREATE TRIGGER ledger_transfers_no_change BEFORE UPDATE OR DELETE ON ledger_transfers
FOR EACH ROW EXECUTE FUNCTION ledger_transfers_immutable()""",
}


def trigger_names(dialect: str) -> frozenset[str]:
    return frozenset(_SQLITE_TRIGGERS if dialect == "sqlite" else _PG_TRIGGERS)


def install_triggers(connection: Connection) -> None:
    """Create the ledger triggers (idempotent). Runs whenever `ledger_transfers` is created."""
    if connection.dialect.name == "sqlite":
        for ddl in _SQLITE_TRIGGERS.values():
            connection.exec_driver_sql(ddl)
        return
    for ddl in _PG_FUNCTIONS.values():
        connection.exec_driver_sql(ddl)
    for name, ddl in _PG_TRIGGERS.items():
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON ledger_transfers")
        connection.exec_driver_sql(ddl)


def installed_triggers(connection: Connection) -> frozenset[str]:
    """The ledger triggers present in the database (a batch migration can drop them)."""
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        query = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'ledger_transfers'::regclass"
    found = {str(name) for (name,) in connection.execute(text(query))}
    return frozenset(found) & trigger_names(connection.dialect.name)


# Listening on the Table class (not on TransferRow.__table__) also catches the table that an
# Alembic migration builds with op.create_table, so the autogenerated baseline migration and
# metadata.create_all both install the triggers without hand edits.
@event.listens_for(Table, "after_create")
def _install_on_create(table: Table, connection: Connection, **_: Any) -> None:
    if table.name == TransferRow.__tablename__:
        install_triggers(connection)


@event.listens_for(Table, "after_drop")
def _drop_functions(table: Table, connection: Connection, **_: Any) -> None:
    if table.name == TransferRow.__tablename__ and connection.dialect.name == "postgresql":
        for name in _PG_FUNCTIONS:
            connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {name}()")
