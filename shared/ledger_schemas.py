"""The credits ledger's contract (SPEC 6): transfers, balances, statements, packages,
purchases and per-job reconciliation, as the service returns them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.schemas import JsonDecimal

# Transfer sources (the analytics `transactions.source`, seed 000). A generation's debit is
# `video_post_<family>` for the model's catalogue family (kling, veo, sora, pollo, ...).
SOURCE_REFUND = "video_post_refund"
SOURCE_PURCHASE = "credit_purchase"
SOURCE_GRANT = "grant"
VIDEO_POST_PREFIX = "video_post_"


def video_post_source(family: str) -> str:
    return f"{VIDEO_POST_PREFIX}{family}"


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TransferKind(StrEnum):
    SINGLE = "single"  # posted at once (grant, purchase)
    PENDING = "pending"  # a reservation
    POST = "post"  # captures a reservation (whole or part; the rest goes back)
    VOID = "void"  # releases a reservation (a refund)


class Transfer(_Schema):
    """One immutable double-entry transfer; `id` is chosen by the caller."""

    id: str
    kind: TransferKind
    debit_account: str
    credit_account: str
    amount: int = Field(ge=0)
    pending_id: str | None = None
    source: str
    job_id: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)
    timeout_at: datetime | None = None
    created_at: datetime


class VideoPostExtra(BaseModel):
    """The extra data a generation's reservation must carry (seed 000's extraData)."""

    model_config = ConfigDict(extra="allow")

    model: str
    resolution: str
    duration: int = Field(gt=0, description="seconds")
    credits: int = Field(gt=0)
    provider_cost_usd: JsonDecimal | None = Field(default=None, ge=0)
    price_book: str | None = None
    route: str | None = None


class Balance(_Schema):
    user_id: str
    available: int = Field(description="credits that can be spent now")
    reserved: int = Field(ge=0, description="held by generations in flight")
    posted: int = Field(description="available + reserved")


class ReservationStatus(StrEnum):
    OPEN = "open"
    CAPTURED = "captured"
    RELEASED = "released"


class StatementEntry(_Schema):
    """One transfer seen from a wallet: how it moved the wallet's balances."""

    id: str
    at: datetime
    kind: TransferKind
    source: str
    amount: int
    posted_delta: int
    reserved_delta: int
    available_delta: int
    job_id: str | None = None
    pending_id: str | None = None
    status: ReservationStatus | None = Field(
        default=None, description="for a reservation: still open, captured or released"
    )
    extra: dict[str, Any] = Field(default_factory=dict)


class StatementPage(_Schema):
    user_id: str
    entries: list[StatementEntry]
    next_cursor: str | None = Field(description="pass back for the next (older) page")


class CreditPackage(_Schema):
    """A credit package for sale (seed 002's tiers, in credits of the default price book)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    price_cents: int = Field(gt=0)
    currency: str = Field(default="usd", pattern=r"^[a-z]{3}$")
    credits: int = Field(gt=0)
    bonus_credits: int = Field(default=0, ge=0)
    popular: bool = False
    total_credits: int = Field(default=0, description="credits + bonus (filled in if omitted)")

    @model_validator(mode="after")
    def _total(self) -> CreditPackage:
        total = self.credits + self.bonus_credits
        if self.total_credits == 0:
            self.total_credits = total
        elif self.total_credits != total:
            raise ValueError(f"total_credits {self.total_credits} != credits + bonus {total}")
        return self


class PurchaseStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"
    EXPIRED = "expired"


class Purchase(_Schema):
    checkout_session_id: str
    user_id: str
    package: str
    credits: int
    amount_cents: int
    currency: str
    status: PurchaseStatus
    checkout_url: str | None = Field(default=None, description="where the buyer pays")
    transfer_id: str | None = Field(default=None, description="the ledger credit, once paid")
    created_at: datetime
    credited_at: datetime | None = None


class PurchaseRequest(_Schema):
    package: str
    success_url: str | None = None
    cancel_url: str | None = None


class GrantRequest(_Schema):
    user_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@\-]+$")
    amount: int = Field(gt=0, le=1_000_000_000)
    reason: str = Field(default="", max_length=200)
    transfer_id: str | None = Field(default=None, description="makes a retried grant idempotent")


class Reconciliation(_Schema):
    """What one generation was charged against what its provider cost."""

    job_id: str
    user_id: str | None
    model: str | None
    source: str | None
    reserved: int = Field(description="credits held for the job, all attempts")
    charged: int = Field(description="credits captured")
    refunded: int = Field(description="credits released, including uncaptured remainders")
    open: int = Field(description="credits still held")
    credit_value_usd: JsonDecimal
    revenue_usd: JsonDecimal
    provider_cost_usd: JsonDecimal = Field(description="counted only when the job was charged")
    margin_usd: JsonDecimal
    margin_ratio: JsonDecimal | None = Field(description="revenue / provider cost")
    transfer_ids: list[str]
