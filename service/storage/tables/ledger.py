"""The credits ledger: double-entry accounts and immutable two-phase transfers (SPEC 6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
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
        Index("ix_ledger_transfers_debit", "debit_account_id", "created_at"),
        Index("ix_ledger_transfers_credit", "credit_account_id", "created_at"),
        Index("ix_ledger_transfers_job", "job_id"),
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

    checkout_session_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    package: Mapped[str] = mapped_column(String(40))
    credits: Mapped[int] = mapped_column(BigInteger)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(8), default="usd")
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | paid | expired
    transfer_id: Mapped[str | None] = mapped_column(ForeignKey("ledger_transfers.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    credited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
