"""Per-job reconciliation: credits charged for a generation against what its provider cost.

Revenue is the charged credits at the price book's credit value. The provider cost is the
one quoted when the credits were reserved (`provider_cost_usd` in the reservation's extra
data, or re-derived from the catalogue when absent) and counts only when the job was
charged: a refunded generation is assumed unbilled by the provider.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from service.ledger.accounts import user_of
from service.ledger.errors import InvalidTransfer
from service.ledger.transfers import transfers
from shared.catalogue import DEFAULT_PRICE_BOOK, Catalogue
from shared.errors import ReelcraftError
from shared.ledger_schemas import Reconciliation
from shared.quote import quote

_PLACES = Decimal("0.0001")


def _quoted_cost(extra: dict[str, Any], catalogue: Catalogue) -> Decimal:
    if extra.get("provider_cost_usd") is not None:
        return Decimal(str(extra["provider_cost_usd"]))
    try:
        q = quote(
            catalogue,
            extra["model"],
            int(extra["duration"]),
            extra.get("resolution"),
            price_book=extra.get("price_book") or DEFAULT_PRICE_BOOK,
        )
    except (KeyError, ValueError, ReelcraftError):
        return Decimal(0)
    return q.provider_cost_usd


def _credit_value(extra: dict[str, Any], catalogue: Catalogue) -> Decimal:
    book = extra.get("price_book") or DEFAULT_PRICE_BOOK
    try:
        return catalogue.price_book(book).credit_value_usd
    except ReelcraftError:
        return catalogue.price_book(DEFAULT_PRICE_BOOK).credit_value_usd


async def reconcile_job(conn: AsyncConnection, job_id: str, catalogue: Catalogue) -> Reconciliation:
    query = select(transfers).where(transfers.c.job_id == job_id).order_by(transfers.c.created_at)
    rows = [r._mapping for r in await conn.execute(query)]
    pendings = {m["id"]: m for m in rows if m["kind"] == "pending"}
    if not pendings:
        raise InvalidTransfer(f"no reservation for job {job_id!r}")
    reserved = sum(int(m["amount"]) for m in pendings.values())
    charged = refunded = 0
    cost = Decimal(0)
    for m in rows:
        held = pendings.get(m["pending_id"] or "")
        if held is None:
            continue
        if m["kind"] == "post":
            charged += int(m["amount"])
            refunded += int(held["amount"]) - int(m["amount"])
            cost += _quoted_cost(dict(held["extra"] or {}), catalogue)
        elif m["kind"] == "void":
            refunded += int(m["amount"])
    first = next(iter(pendings.values()))
    extra = dict(first["extra"] or {})
    value = _credit_value(extra, catalogue)
    revenue = (value * charged).quantize(_PLACES)
    cost = cost.quantize(_PLACES)
    return Reconciliation(
        job_id=job_id,
        user_id=user_of(first["debit_account_id"]),
        model=extra.get("model"),
        source=first["source"],
        reserved=reserved,
        charged=charged,
        refunded=refunded,
        open=reserved - charged - refunded,
        credit_value_usd=value,
        revenue_usd=revenue,
        provider_cost_usd=cost,
        margin_usd=revenue - cost,
        margin_ratio=(revenue / cost).quantize(Decimal("0.01")) if cost else None,
        transfer_ids=[m["id"] for m in rows],
    )
