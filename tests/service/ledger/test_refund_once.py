"""A refund requested twice for one job moves the credits once, and it is the database that
refuses the second one: the unique index on `pending_id`, not only the ledger's code."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from service.ledger import AlreadyResolved, JobTransferIds, Ledger
from service.storage.base import utcnow
from shared.ledger_schemas import SOURCE_REFUND
from tests.service.ledger.conftest import video_extra

JOB = "3f1c2a9e-0000-4000-8000-000000000001"


async def _reserved(ledger: Ledger) -> str:
    await ledger.grant("welcome", "ana", 1000)
    hold = await ledger.reserve_for_job(
        job_id=JOB, user_id="ana", amount=450, source="video_post_kling", extra=video_extra(450)
    )
    return hold.id


async def test_a_refund_requested_twice_moves_credits_once(ledger: Ledger) -> None:
    pending = await _reserved(ledger)
    assert (await ledger.balance("ana")).available == 550

    assert await ledger.release_for_job(job_id=JOB, reason="provider_error") is True
    assert await ledger.release_for_job(job_id=JOB, reason="cancelled") is True
    with pytest.raises(AlreadyResolved):
        await ledger.release("support-refund", pending, "support")

    assert (await ledger.balance("ana")).available == 1000
    refunds = [e for e in (await ledger.statement("ana")).entries if e.source == SOURCE_REFUND]
    assert [r.amount for r in refunds] == [450]
    assert (await ledger.reconcile(JOB)).refunded == 450


async def test_the_database_itself_refuses_a_second_refund(ledger: Ledger) -> None:
    pending = await _reserved(ledger)
    await ledger.release_for_job(job_id=JOB, reason="provider_error")

    # Bypass the ledger's code entirely: a hand-written second refund (or a late charge) of the
    # same reservation, as a buggy job engine or a manual fix-up would write it.
    insert = text(
        "INSERT INTO ledger_transfers (id, kind, debit_account_id, credit_account_id, amount,"
        " pending_id, source, job_id, extra, body_sha256, created_at) VALUES"
        " (:id, :kind, 'wallet:ana', 'system:revenue', 450, :pending, :source, :job, '{}',"
        " 'manual', :at)"
    )
    for transfer_id, kind, source in (
        ("manual-refund", "void", SOURCE_REFUND),
        ("manual-charge", "post", "video_post_kling"),
    ):
        with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
            async with ledger.engine.begin() as conn:
                await conn.execute(
                    insert,
                    {
                        "id": transfer_id,
                        "kind": kind,
                        "pending": pending,
                        "source": source,
                        "job": JOB,
                        "at": utcnow(),
                    },
                )

    assert (await ledger.balance("ana")).available == 1000
    assert JobTransferIds.for_job(JOB).release in (await ledger.reconcile(JOB)).transfer_ids
    (await ledger.audit()).raise_if_failed()
