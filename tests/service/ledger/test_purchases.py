"""Buying credits through Stripe Checkout (the emulator, over real HTTP): a paid purchase is
credited exactly once however often and however concurrently it is confirmed; unpaid,
expired, forged or mismatched ones never are."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from service.ledger import Ledger
from service.ledger.purchases import META_CREDITS, META_PACKAGE, META_USER, Purchases
from service.ledger.stripe_webhook import SignatureError
from service.providers.emulator.stripe_account import sign
from shared.errors import ReelcraftError
from shared.ledger_schemas import SOURCE_PURCHASE, Purchase, PurchaseStatus
from tests.service.ledger.stripe_site import StripeSite, stripe_site


def _purchases(ledger: Ledger, site: StripeSite) -> Purchases:
    site.purchases = Purchases(ledger, site.client, webhook_secret=site.webhook_secret)
    return site.purchases


async def _start(purchases: Purchases, site: StripeSite, package: str = "pro") -> Purchase:
    return await purchases.start(
        "ana",
        package,
        success_url=f"{site.base_url}/done?session={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"{site.base_url}/credits",
    )


async def test_a_paid_package_is_credited_once_however_often_it_is_confirmed(
    ledger: Ledger,
) -> None:
    async with stripe_site() as site:
        purchases = _purchases(ledger, site)
        opened = await _start(purchases, site)
        assert (opened.status, opened.credits, opened.amount_cents) == (
            PurchaseStatus.OPEN,
            11_000,
            4799,
        )
        assert opened.checkout_url and opened.checkout_url.startswith(site.base_url)
        assert (await ledger.balance("ana")).available == 0

        paid = await site.pay(opened.checkout_url)
        assert paid.status_code == 303
        assert paid.headers["location"].endswith(f"/done?session={opened.checkout_session_id}")
        assert [d.status for d in site.deliveries] == [200]  # checkout.session.completed
        assert (await ledger.balance("ana")).available == 11_000

        # The buyer comes back (confirm), Stripe redelivers, all of it at once, twice over.
        confirmed = await purchases.confirm(opened.checkout_session_id)
        assert confirmed.status is PurchaseStatus.PAID and confirmed.transfer_id
        await asyncio.gather(
            *(purchases.confirm(opened.checkout_session_id) for _ in range(3)),
            *(site.redeliver(site.deliveries[0]) for _ in range(2)),
        )
        assert (await ledger.balance("ana")).available == 11_000
        credits = [
            e for e in (await ledger.statement("ana")).entries if e.source == SOURCE_PURCHASE
        ]
        assert [(e.amount, e.extra["package"]) for e in credits] == [(11_000, "pro")]
        (await ledger.audit()).raise_if_failed()


async def test_an_unpaid_or_expired_session_credits_nothing(sqlite_ledger: Ledger) -> None:
    ledger = sqlite_ledger
    async with stripe_site() as site:
        purchases = _purchases(ledger, site)
        opened = await _start(purchases, site, "starter")
        assert (await purchases.confirm(opened.checkout_session_id)).status is PurchaseStatus.OPEN

        expired = await site.http.post(
            f"{site.base_url}/v1/checkout/sessions/{opened.checkout_session_id}/expire",
            headers=site.auth(),
        )
        assert expired.json()["status"] == "expired"
        assert (await purchases.get(opened.checkout_session_id)).status is PurchaseStatus.EXPIRED
        assert opened.checkout_url is not None
        assert (await site.http.post(opened.checkout_url)).status_code == 410
        assert (await purchases.confirm(opened.checkout_session_id)).status is (
            PurchaseStatus.EXPIRED
        )
        assert (await ledger.balance("ana")).available == 0


async def test_a_forged_or_stale_webhook_is_rejected(sqlite_ledger: Ledger) -> None:
    ledger = sqlite_ledger
    async with stripe_site(subscribe=False) as site:
        site.webhook_secret = "whsec_the_real_one"
        purchases = _purchases(ledger, site)
        opened = await _start(purchases, site, "enterprise")
        session = {
            "id": opened.checkout_session_id,
            "object": "checkout.session",
            "mode": "payment",
            "status": "complete",
            "payment_status": "paid",
            "amount_total": 8999,
            "currency": "usd",
            "metadata": {META_USER: "ana", META_PACKAGE: "enterprise", META_CREDITS: "23000"},
        }
        payload = json.dumps(
            {"id": "evt_forged", "type": "checkout.session.completed", "data": {"object": session}}
        ).encode()
        now = int(time.time())
        for header in (
            sign(payload, "whsec_guessed", now),  # wrong secret
            sign(payload, "whsec_the_real_one", now - 600),  # captured and replayed later
            sign(payload, "whsec_the_real_one", now).replace("v1=", "v0="),
            None,
        ):
            with pytest.raises(SignatureError):
                await purchases.handle_webhook(payload, header)
        tampered = payload.replace(b"8999", b"8990")
        with pytest.raises(SignatureError):
            await purchases.handle_webhook(tampered, sign(payload, "whsec_the_real_one", now))
        assert (await ledger.balance("ana")).available == 0
        # The genuine event goes through.
        await purchases.handle_webhook(payload, sign(payload, "whsec_the_real_one", now))
        assert (await ledger.balance("ana")).available == 23_000


async def test_a_purchase_is_credited_even_if_the_service_never_recorded_it(
    sqlite_ledger: Ledger,
) -> None:
    """A crash between Stripe's answer and the purchase row: the session's metadata says what
    was bought, and that is credited once the payment is confirmed."""
    ledger = sqlite_ledger
    async with stripe_site() as site:
        purchases = _purchases(ledger, site)
        package = purchases.packages.get("standard")
        session = await site.client.create_checkout_session(
            package=package,
            user_id="ana",
            success_url=f"{site.base_url}/done",
            cancel_url=f"{site.base_url}/credits",
            idempotency_key="crash-1",
            metadata={META_USER: "ana", META_PACKAGE: "standard", META_CREDITS: "5400"},
        )
        assert session.url is not None
        await site.pay(session.url)
        bought = await purchases.confirm(session.id)
        assert (bought.status, bought.credits) == (PurchaseStatus.PAID, 5400)
        assert (await ledger.balance("ana")).available == 5400
        (await ledger.audit()).raise_if_failed()


async def test_a_session_charging_another_amount_is_not_credited(sqlite_ledger: Ledger) -> None:
    ledger = sqlite_ledger
    async with stripe_site() as site:
        purchases = _purchases(ledger, site)
        cheap = purchases.packages.get("starter").model_copy(update={"price_cents": 100})
        session = await site.client.create_checkout_session(
            package=cheap,
            user_id="ana",
            success_url=f"{site.base_url}/done",
            cancel_url=f"{site.base_url}/credits",
            idempotency_key="cheap-1",
            metadata={META_USER: "ana", META_PACKAGE: "enterprise", META_CREDITS: "23000"},
        )
        assert session.url is not None
        await site.pay(session.url)
        assert [d.status for d in site.deliveries] == [400]
        with pytest.raises(ReelcraftError, match="charged 100 usd"):
            await purchases.confirm(session.id)
        assert (await ledger.balance("ana")).available == 0


async def test_an_unknown_package_cannot_be_bought(sqlite_ledger: Ledger) -> None:
    async with stripe_site() as site:
        purchases = _purchases(sqlite_ledger, site)
        with pytest.raises(ReelcraftError, match="unknown credit package 'platinum'"):
            await purchases.start(
                "ana", "platinum", success_url="http://x/ok", cancel_url="http://x/no"
            )
