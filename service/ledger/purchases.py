"""Buying credits through Stripe Checkout, credited exactly once.

1. `start` creates a Checkout Session (with an idempotency key) and records the purchase.
2. The buyer pays on Stripe's page.
3. Either confirmation credits the wallet: `confirm` (retrieve the session; the desktop calls
   it when the buyer comes back) or `handle_webhook` (Stripe's `checkout.session.completed`,
   verified by its signature).

However often and however concurrently a purchase is confirmed, the credit is one ledger
transfer whose id is derived from the session id: the database's primary key refuses a
second one, and `credit_purchases.transfer_id` is unique too. The terms credited are the
ones recorded at `start` (or, if the service crashed before recording them, the package
named in the session's metadata), and only if Stripe's amount and currency match them.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import Table, select, update
from sqlalchemy.exc import IntegrityError

from service.ledger.accounts import (
    SYSTEM_PURCHASES,
    ensure_wallet,
    insert_ignoring_duplicates,
    wallet_id,
)
from service.ledger.database import Violation, classify, write_transaction
from service.ledger.ids import derived_id, fingerprint
from service.ledger.ledger import Ledger
from service.ledger.packages import PackageFile, shipped_packages
from service.ledger.refusals import replay
from service.ledger.stripe_client import CheckoutSession, StripeClient
from service.ledger.stripe_webhook import verify
from service.ledger.transfers import INSERT_TRANSFER, get_transfer
from service.storage.base import utcnow
from service.storage.tables import PurchaseRow
from shared.errors import ErrorCode, ReelcraftError
from shared.ledger_schemas import SOURCE_PURCHASE, Purchase, PurchaseStatus, TransferKind

purchases = cast(Table, PurchaseRow.__table__)

# Metadata keys on the Checkout Session: enough to credit the right wallet even if the
# purchase row was never written (crash between Stripe's answer and our insert).
META_USER = "reelcraft_user"
META_PACKAGE = "reelcraft_package"
META_CREDITS = "reelcraft_credits"

CREDITING_EVENTS = {"checkout.session.completed", "checkout.session.async_payment_succeeded"}


class PurchaseMismatch(ReelcraftError):
    def __init__(self, session_id: str, message: str) -> None:
        super().__init__(ErrorCode.INVALID_INPUT, f"checkout session {session_id}: {message}")


class Purchases:
    def __init__(
        self,
        ledger: Ledger,
        stripe: StripeClient,
        *,
        webhook_secret: str | None = None,
        packages: PackageFile | None = None,
    ) -> None:
        self._ledger = ledger
        self._engine = ledger.engine
        self._stripe = stripe
        self._webhook_secret = webhook_secret
        self.packages = packages or shipped_packages()

    async def start(
        self, user_id: str, package_id: str, *, success_url: str, cancel_url: str
    ) -> Purchase:
        """Open a Checkout Session for a package; the buyer pays at `checkout_url`."""
        package = self.packages.get(package_id)
        wallet_id(user_id)  # validates the user id before anything is sent
        await self._ledger.ready()
        session = await self._stripe.create_checkout_session(
            package=package,
            user_id=user_id,
            success_url=success_url,
            cancel_url=cancel_url,
            idempotency_key=f"reelcraft-purchase-{uuid.uuid4().hex}",
            metadata={
                META_USER: user_id,
                META_PACKAGE: package.id,
                META_CREDITS: str(package.total_credits),
            },
        )
        async with write_transaction(self._engine) as conn:
            await ensure_wallet(conn, user_id)
            await conn.execute(
                insert_ignoring_duplicates(conn, purchases),
                {
                    "checkout_session_id": session.id,
                    "user_id": user_id,
                    "package": package.id,
                    "credits": package.total_credits,
                    "amount_cents": package.price_cents,
                    "currency": package.currency,
                    "status": PurchaseStatus.OPEN.value,
                    "checkout_url": session.url,
                    "created_at": utcnow(),
                },
            )
        return await self.get(session.id)

    async def confirm(self, session_id: str) -> Purchase:
        """Ask Stripe how the session stands; credit it if paid (idempotent)."""
        return await self.apply(await self._stripe.retrieve_checkout_session(session_id))

    async def handle_webhook(self, payload: bytes, signature: str | None) -> Purchase | None:
        """A Stripe webhook delivery: verified, then applied. None for events we ignore."""
        if not self._webhook_secret:
            raise ReelcraftError(ErrorCode.INTERNAL, "no Stripe webhook secret configured")
        event = verify(payload, signature, self._webhook_secret)
        kind = event.get("type")
        if kind not in CREDITING_EVENTS and kind != "checkout.session.expired":
            return None
        try:
            session = CheckoutSession.model_validate(event["data"]["object"])
        except (KeyError, TypeError, ValidationError):
            raise ReelcraftError(ErrorCode.INVALID_INPUT, f"malformed {kind} event") from None
        return await self.apply(session)

    async def apply(self, session: CheckoutSession) -> Purchase:
        if session.mode != "payment":
            raise PurchaseMismatch(session.id, f"mode {session.mode!r} is not a payment")
        if session.payment_status == "paid":
            return await self._credit(session)
        if session.status == "expired":
            async with write_transaction(self._engine) as conn:
                await conn.execute(
                    update(purchases)
                    .where(
                        purchases.c.checkout_session_id == session.id,
                        purchases.c.status == PurchaseStatus.OPEN.value,
                    )
                    .values(status=PurchaseStatus.EXPIRED.value)
                )
        return await self.get(session.id)

    async def get(self, session_id: str) -> Purchase:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(purchases).where(purchases.c.checkout_session_id == session_id)
                )
            ).first()
        if row is None:
            raise ReelcraftError(ErrorCode.INVALID_INPUT, f"no purchase {session_id!r}")
        return Purchase.model_validate(dict(row._mapping))

    async def list_for(self, user_id: str, limit: int = 50) -> list[Purchase]:
        query = (
            select(purchases)
            .where(purchases.c.user_id == user_id)
            .order_by(purchases.c.created_at.desc())
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [Purchase.model_validate(dict(r._mapping)) for r in await conn.execute(query)]

    async def _terms(self, session: CheckoutSession) -> dict[str, Any]:
        """What this session buys: as recorded at start, else as its metadata names it."""
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(purchases).where(purchases.c.checkout_session_id == session.id)
                )
            ).first()
        if row is not None:
            m = row._mapping
            terms = {
                k: m[k]
                for k in (
                    "user_id",
                    "package",
                    "credits",
                    "amount_cents",
                    "currency",
                    "checkout_url",
                )
            }
        else:
            try:
                package = self.packages.get(session.metadata.get(META_PACKAGE, ""))
            except ReelcraftError:
                raise PurchaseMismatch(session.id, "names no known package") from None
            terms = {
                "user_id": session.metadata.get(META_USER, ""),
                "package": package.id,
                "credits": package.total_credits,
                "amount_cents": package.price_cents,
                "currency": package.currency,
                "checkout_url": None,
            }
        if session.metadata.get(META_USER) != terms["user_id"]:
            raise PurchaseMismatch(session.id, "is for another user")
        if session.amount_total != terms["amount_cents"] or session.currency != terms["currency"]:
            raise PurchaseMismatch(
                session.id,
                f"charged {session.amount_total} {session.currency}, the package "
                f"costs {terms['amount_cents']} {terms['currency']}",
            )
        return terms

    async def _credit(self, session: CheckoutSession) -> Purchase:
        terms = await self._terms(session)
        await self._ledger.ready()
        user_id, credits = str(terms["user_id"]), int(terms["credits"])
        transfer_id = derived_id("purchase", session.id)
        body = fingerprint(
            "purchase",
            session=session.id,
            user=user_id,
            credits=credits,
            amount_cents=terms["amount_cents"],
            currency=terms["currency"],
        )
        now = utcnow()
        try:
            async with write_transaction(self._engine) as conn:
                await ensure_wallet(conn, user_id)
                await conn.execute(
                    insert_ignoring_duplicates(conn, purchases),
                    {
                        "checkout_session_id": session.id,
                        "status": PurchaseStatus.OPEN.value,
                        "created_at": now,
                        **terms,
                    },
                )
                await conn.execute(
                    INSERT_TRANSFER,
                    {
                        "id": transfer_id,
                        "kind": TransferKind.SINGLE.value,
                        "debit_account_id": SYSTEM_PURCHASES,
                        "credit_account_id": wallet_id(user_id),
                        "amount": credits,
                        "pending_id": None,
                        "source": SOURCE_PURCHASE,
                        "job_id": None,
                        "body_sha256": body,
                        "timeout_at": None,
                        "created_at": now,
                        "extra": {
                            "package": terms["package"],
                            "checkout_session": session.id,
                            "amount_cents": terms["amount_cents"],
                            "currency": terms["currency"],
                            "credits": credits,
                        },
                    },
                )
                await conn.execute(
                    update(purchases)
                    .where(purchases.c.checkout_session_id == session.id)
                    .values(
                        status=PurchaseStatus.PAID.value, transfer_id=transfer_id, credited_at=now
                    )
                )
        except IntegrityError as exc:
            if classify(exc) is not Violation.DUPLICATE_TRANSFER:
                raise
            # Confirmed before (webhook and return trip, or a redelivery): already credited.
            async with self._engine.connect() as conn:
                existing = await get_transfer(conn, transfer_id)
            if existing is None:
                raise
            replay(existing, body)
        return await self.get(session.id)
