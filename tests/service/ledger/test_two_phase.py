"""Reserve, capture (whole or part), release: what a user's balance does, on SQLite and
PostgreSQL, including retries, conflicts and the timeout sweeper."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from service.ledger import (
    AlreadyResolved,
    CaptureExceedsReservation,
    InsufficientCredits,
    InvalidTransfer,
    Ledger,
    ReservationNotFound,
    TransferConflict,
)
from shared.errors import ErrorCode
from shared.ledger_schemas import SOURCE_REFUND, Balance, TransferKind
from tests.service.ledger.conftest import FakeClock, video_extra

KLING = "video_post_kling"


async def funded(ledger: Ledger, user: str = "ana", credits: int = 1000) -> None:
    await ledger.grant(f"welcome:{user}", user, credits, reason="welcome")


async def test_a_reservation_holds_credits_until_it_is_captured(ledger: Ledger) -> None:
    await funded(ledger)
    hold = await ledger.reserve("r1", "ana", 250, KLING, "job-1", video_extra(250))
    assert hold.kind is TransferKind.PENDING
    assert await ledger.balance("ana") == Balance(
        user_id="ana", available=750, reserved=250, posted=1000
    )

    charge = await ledger.capture("c1", "r1")
    assert (charge.amount, charge.source, charge.job_id) == (250, KLING, "job-1")
    assert await ledger.balance("ana") == Balance(
        user_id="ana", available=750, reserved=0, posted=750
    )
    (await ledger.audit()).raise_if_failed()


async def test_releasing_refunds_the_whole_reservation(ledger: Ledger) -> None:
    await funded(ledger)
    await ledger.reserve("r1", "ana", 250, KLING, "job-1", video_extra(250))
    refund = await ledger.release("v1", "r1", reason="provider_error")
    assert (refund.kind, refund.source, refund.amount) == (TransferKind.VOID, SOURCE_REFUND, 250)
    assert await ledger.balance("ana") == Balance(
        user_id="ana", available=1000, reserved=0, posted=1000
    )
    page = await ledger.statement("ana")
    assert page.entries[0].extra["reason"] == "provider_error"
    assert page.entries[0].extra["refund_amount"] == 250
    assert page.entries[0].extra["model"] == "kling-2.6"


async def test_a_partial_capture_charges_part_and_returns_the_rest(ledger: Ledger) -> None:
    await funded(ledger)
    await ledger.reserve("r1", "ana", 400, KLING, "job-1", video_extra(400))
    await ledger.capture("c1", "r1", amount=150)
    assert await ledger.balance("ana") == Balance(
        user_id="ana", available=850, reserved=0, posted=850
    )
    job = await ledger.reconcile("job-1")
    assert (job.reserved, job.charged, job.refunded, job.open) == (400, 150, 250, 0)


async def test_a_reservation_beyond_the_balance_is_refused_and_holds_nothing(
    ledger: Ledger,
) -> None:
    await funded(ledger, credits=100)
    with pytest.raises(InsufficientCredits) as refused:
        await ledger.reserve("r1", "ana", 250, KLING, "job-1", video_extra(250))
    assert refused.value.code is ErrorCode.INSUFFICIENT_CREDITS
    assert refused.value.detail["shortfall"] == 150
    assert (await ledger.balance("ana")).available == 100
    # Nothing was saved: once funded, the same id goes through.
    await ledger.grant("top-up", "ana", 150)
    await ledger.reserve("r1", "ana", 250, KLING, "job-1", video_extra(250))
    assert (await ledger.balance("ana")).available == 0


async def test_a_user_without_a_wallet_has_nothing_to_spend(ledger: Ledger) -> None:
    with pytest.raises(InsufficientCredits) as refused:
        await ledger.reserve("r1", "newcomer", 200, KLING, "job-1", video_extra(200))
    assert refused.value.detail["available"] == 0
    assert await ledger.balance("newcomer") == Balance(
        user_id="newcomer", available=0, reserved=0, posted=0
    )


async def test_retrying_with_the_same_id_returns_the_original_and_moves_nothing(
    ledger: Ledger,
) -> None:
    grant = await ledger.grant("g1", "ana", 1000, "welcome")
    assert await ledger.grant("g1", "ana", 1000, "welcome") == grant
    hold = await ledger.reserve("r1", "ana", 300, KLING, "job-1", video_extra(300))
    assert await ledger.reserve("r1", "ana", 300, KLING, "job-1", video_extra(300)) == hold
    charge = await ledger.capture("c1", "r1", amount=200)
    assert await ledger.capture("c1", "r1", amount=200) == charge
    await ledger.reserve("r2", "ana", 100, KLING, "job-2", video_extra(100))
    refund = await ledger.release("v2", "r2", "cancelled")
    assert await ledger.release("v2", "r2", "cancelled") == refund
    assert await ledger.balance("ana") == Balance(
        user_id="ana", available=800, reserved=0, posted=800
    )


async def test_the_same_id_with_a_different_body_is_refused(ledger: Ledger) -> None:
    await funded(ledger)
    await ledger.reserve("r1", "ana", 300, KLING, "job-1", video_extra(300))
    with pytest.raises(TransferConflict):
        await ledger.reserve("r1", "ana", 301, KLING, "job-1", video_extra(301))
    with pytest.raises(TransferConflict):
        await ledger.grant("welcome:ana", "ana", 5000)
    await ledger.capture("c1", "r1", amount=100)
    with pytest.raises(TransferConflict):
        await ledger.capture("c1", "r1", amount=200)
    assert (await ledger.balance("ana")).posted == 900


async def test_a_reservation_is_resolved_at_most_once(ledger: Ledger) -> None:
    await funded(ledger)
    await ledger.reserve("r1", "ana", 250, KLING, "job-1", video_extra(250))
    await ledger.capture("c1", "r1")
    with pytest.raises(AlreadyResolved) as late_refund:
        await ledger.release("v1", "r1", "cancelled")
    assert (late_refund.value.resolution, late_refund.value.by_transfer) == ("captured", "c1")

    await ledger.reserve("r2", "ana", 250, KLING, "job-2", video_extra(250))
    await ledger.release("v2", "r2", "failed")
    with pytest.raises(AlreadyResolved):
        await ledger.capture("c2", "r2")
    with pytest.raises(AlreadyResolved):
        await ledger.release("v2-again", "r2", "failed")
    assert (await ledger.balance("ana")).posted == 750
    (await ledger.audit()).raise_if_failed()


async def test_capturing_more_than_was_reserved_is_refused(ledger: Ledger) -> None:
    await funded(ledger)
    await ledger.reserve("r1", "ana", 250, KLING, "job-1", video_extra(250))
    with pytest.raises(CaptureExceedsReservation):
        await ledger.capture("c1", "r1", amount=251)
    assert (await ledger.balance("ana")).reserved == 250
    await ledger.capture("c1", "r1", amount=250)
    assert (await ledger.balance("ana")).posted == 750


async def test_resolving_an_unknown_reservation_is_an_error(ledger: Ledger) -> None:
    await funded(ledger)
    with pytest.raises(ReservationNotFound):
        await ledger.capture("c1", "no-such-reservation")
    with pytest.raises(ReservationNotFound):
        await ledger.release("v1", "welcome:ana", "not a reservation")


async def test_the_sweeper_releases_reservations_left_past_their_timeout(
    ledger: Ledger, clock: FakeClock
) -> None:
    await funded(ledger)
    await ledger.reserve("short", "ana", 200, KLING, "job-1", video_extra(200), timeout_s=60)
    await ledger.reserve("long", "ana", 300, KLING, "job-2", video_extra(300), timeout_s=3600)
    assert await ledger.sweep_expired() == []

    clock.advance(61)
    swept = await ledger.sweep_expired()
    assert [(t.pending_id, t.source, t.extra["reason"]) for t in swept] == [
        ("short", SOURCE_REFUND, "timeout")
    ]
    assert await ledger.balance("ana") == Balance(
        user_id="ana", available=700, reserved=300, posted=1000
    )
    assert await ledger.sweep_expired() == []
    # The job engine comes back too late: the credits are already refunded.
    with pytest.raises(AlreadyResolved) as late:
        await ledger.capture("late", "short")
    assert late.value.resolution == "released"


async def test_the_job_engine_view_reports_who_won_a_race(ledger: Ledger) -> None:
    await funded(ledger)
    await ledger.reserve_for_job(
        job_id="j1", user_id="ana", amount=200, source=KLING, extra=video_extra(200)
    )
    assert await ledger.capture_for_job(job_id="j1") is True
    assert await ledger.capture_for_job(job_id="j1") is True  # a retry after a crash
    assert await ledger.release_for_job(job_id="j1", reason="cancelled") is False

    await ledger.reserve_for_job(
        job_id="j2", user_id="ana", amount=200, source=KLING, extra=video_extra(200)
    )
    assert await ledger.release_for_job(job_id="j2", reason="cancelled") is True
    assert await ledger.release_for_job(job_id="j2", reason="provider_error") is True
    assert await ledger.capture_for_job(job_id="j2") is False
    assert (await ledger.balance("ana")).available == 800


async def test_a_reservation_must_say_what_it_pays_for(ledger: Ledger) -> None:
    await funded(ledger)
    with pytest.raises(InvalidTransfer, match="video_post_kling"):
        await ledger.reserve("r1", "ana", 250, "video_post_veo", "job-1", video_extra(250))
    with pytest.raises(InvalidTransfer, match="source"):
        await ledger.reserve("r1", "ana", 250, "grant", "job-1", video_extra(250))
    with pytest.raises(InvalidTransfer, match="resolution"):
        await ledger.reserve("r1", "ana", 250, KLING, "job-1", {"model": "kling-2.6"})
    with pytest.raises(InvalidTransfer, match="credits"):
        await ledger.reserve("r1", "ana", 250, KLING, "job-1", video_extra(200))
    with pytest.raises(InvalidTransfer, match="positive"):
        await ledger.reserve("r1", "ana", 0, KLING, "job-1", video_extra(1))
    assert (await ledger.balance("ana")).available == 1000


async def test_transfers_cannot_be_edited_or_deleted_in_the_database(ledger: Ledger) -> None:
    await funded(ledger)
    for sql in (
        "UPDATE ledger_transfers SET amount = 999999 WHERE id = 'welcome:ana'",
        "DELETE FROM ledger_transfers WHERE id = 'welcome:ana'",
    ):
        with pytest.raises(Exception, match="ledger_immutable"):
            async with ledger.engine.begin() as conn:
                await conn.execute(text(sql))
    assert (await ledger.balance("ana")).posted == 1000
