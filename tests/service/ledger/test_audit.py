"""The audit reads the invariants from the database, so it notices a ledger that was
tampered with behind the ledger's back (what the job engine's crash tests rely on)."""

from __future__ import annotations

from sqlalchemy import text

from service.ledger import Ledger
from service.storage.base import utcnow
from tests.service.ledger.conftest import video_extra


async def _history(ledger: Ledger) -> None:
    await ledger.grant("welcome", "ana", 1000)
    await ledger.grant("welcome-bo", "bo", 500)
    await ledger.reserve("r1", "ana", 200, "video_post_kling", "job-1", video_extra(200))
    await ledger.reserve("r2", "ana", 300, "video_post_kling", "job-2", video_extra(300))
    await ledger.capture("c1", "r1", amount=150)


async def _tamper(ledger: Ledger, sql: str, **params: object) -> None:
    async with ledger.engine.begin() as conn:
        await conn.execute(text(sql), params)


async def test_a_clean_ledger_passes(ledger: Ledger) -> None:
    await _history(ledger)
    report = await ledger.audit()
    assert report.ok, report.violations
    assert report.accounts_checked == 5  # two wallets, three system accounts


async def test_credits_conjured_into_a_wallet_are_noticed(ledger: Ledger) -> None:
    await _history(ledger)
    await _tamper(
        ledger,
        "UPDATE ledger_accounts SET credits_posted = credits_posted + 100 WHERE id = 'wallet:ana'",
    )
    report = await ledger.audit()
    assert any("do not sum to zero" in v for v in report.violations)
    assert any(v.startswith("wallet:ana:") for v in report.violations)
    scoped = await ledger.audit(["ana"])
    assert any(v.startswith("wallet:ana:") for v in scoped.violations)
    assert (await ledger.audit(["bo"])).violations == [
        "books do not sum to zero: posted 100, pending 0"
    ]


async def test_a_hold_missing_from_the_balance_is_noticed(ledger: Ledger) -> None:
    await _history(ledger)
    await _tamper(ledger, "UPDATE ledger_accounts SET debits_pending = 0 WHERE id = 'wallet:ana'")
    report = await ledger.audit(["ana"])
    assert report.violations == [
        "books do not sum to zero: posted 0, pending 300",
        "wallet:ana: balances (debits_posted, credits_posted, debits_pending, credits_pending)"
        " are (150, 1000, 0, 0) but its transfers sum to (150, 1000, 300, 0)",
    ]


async def test_a_purchase_marked_paid_without_its_credit_is_noticed(ledger: Ledger) -> None:
    await _history(ledger)
    await _tamper(
        ledger,
        "INSERT INTO credit_purchases (checkout_session_id, user_id, package, credits,"
        " amount_cents, currency, status, transfer_id, created_at) VALUES"
        " ('cs_test_forged', 'ana', 'pro', 11000, 4799, 'usd', 'paid', 'welcome', :at)",
        at=utcnow(),
    )
    report = await ledger.audit()
    assert report.violations == ["purchase cs_test_forged is not credited exactly once"]
