"""What a user reads back: a paged statement of their credit movements, and per job what was
charged against what the provider cost."""

from __future__ import annotations

from decimal import Decimal

import pytest

from service.ledger import InvalidTransfer, Ledger
from shared.catalogue import shipped_catalogue
from shared.ledger_schemas import ReservationStatus, VideoPostExtra
from shared.quote import quote
from tests.service.ledger.conftest import FakeClock, video_extra


def quoted_extra(model: str, duration: int, resolution: str | None = None) -> dict[str, object]:
    """The extra data the job engine derives from the service's quote."""
    q = quote(shipped_catalogue(), model, duration, resolution)
    extra = VideoPostExtra(
        model=q.model,
        resolution=q.resolution,
        duration=q.duration_s,
        credits=q.credits,
        provider_cost_usd=q.provider_cost_usd,
        price_book=q.price_book,
        route=q.route,
    )
    return extra.model_dump(mode="json", exclude_none=True)


async def test_the_statement_pages_newest_first_without_gaps_or_repeats(
    ledger: Ledger, clock: FakeClock
) -> None:
    for i in range(25):
        clock.advance(1)
        await ledger.grant(f"g{i:02}", "ana", i + 1)
    first = await ledger.statement("ana", limit=10)
    assert [e.id for e in first.entries] == [f"g{i:02}" for i in range(24, 14, -1)]
    clock.advance(1)
    await ledger.grant("late", "ana", 7)  # arrives while the user pages back
    second = await ledger.statement("ana", first.next_cursor, limit=10)
    third = await ledger.statement("ana", second.next_cursor, limit=10)
    assert [e.id for e in second.entries] == [f"g{i:02}" for i in range(14, 4, -1)]
    assert [e.id for e in third.entries] == [f"g{i:02}" for i in range(4, -1, -1)]
    assert third.next_cursor is None
    assert (await ledger.statement("ana", limit=1)).entries[0].id == "late"
    with pytest.raises(InvalidTransfer, match="cursor"):
        await ledger.statement("ana", "not-a-cursor")


async def test_statement_entries_show_how_each_movement_changed_the_balance(
    ledger: Ledger, clock: FakeClock
) -> None:
    await ledger.grant("g", "ana", 1000)
    clock.advance(1)
    await ledger.reserve("r1", "ana", 400, "video_post_kling", "job-1", video_extra(400))
    clock.advance(1)
    await ledger.reserve("r2", "ana", 200, "video_post_kling", "job-2", video_extra(200))
    clock.advance(1)
    await ledger.capture("c1", "r1", amount=300)
    entries = {e.id: e for e in (await ledger.statement("ana")).entries}
    deltas = {k: (e.posted_delta, e.reserved_delta, e.available_delta) for k, e in entries.items()}
    assert deltas == {
        "g": (1000, 0, 1000),
        "r1": (0, 400, -400),
        "r2": (0, 200, -200),
        "c1": (-300, -400, 100),
    }
    assert entries["r1"].status is ReservationStatus.CAPTURED
    assert entries["r2"].status is ReservationStatus.OPEN
    assert entries["c1"].extra["released"] == 100
    assert (
        sum(e.available_delta for e in entries.values()) == (await ledger.balance("ana")).available
    )


async def test_reconciliation_shows_the_margin_of_a_charged_generation(ledger: Ledger) -> None:
    await ledger.grant("g", "ana", 5000)
    for job, model, duration, resolution in (
        ("kling", "kling-2.6", 5, None),
        ("sora", "sora-2", 5, "720p"),
    ):
        extra = quoted_extra(model, duration, resolution)
        credits = int(str(extra["credits"]))
        source = "video_post_kling" if job == "kling" else "video_post_sora"
        await ledger.reserve(f"r-{job}", "ana", credits, source, job, extra)
        await ledger.capture(f"c-{job}", f"r-{job}")
    kling = await ledger.reconcile("kling")
    # Seed 000: Kling 2.6, 5 s: 200 credits ($1.00) for a $0.70 render, a 1.43x margin.
    assert (kling.charged, kling.revenue_usd, kling.provider_cost_usd) == (
        200,
        Decimal("1.0000"),
        Decimal("0.7000"),
    )
    assert (kling.margin_usd, kling.margin_ratio) == (Decimal("0.3000"), Decimal("1.43"))
    sora = await ledger.reconcile("sora")
    assert (sora.charged, sora.margin_ratio, sora.model) == (450, Decimal("1.50"), "sora-2")


async def test_a_refunded_generation_earns_and_costs_nothing(ledger: Ledger) -> None:
    await ledger.grant("g", "ana", 1000)
    extra = quoted_extra("veo-3.1", 5)
    extra.pop("provider_cost_usd")  # derived from the catalogue when the engine omits it
    await ledger.reserve("r", "ana", 250, "video_post_veo", "veo-job", extra)
    job = await ledger.reconcile("veo-job")
    assert (job.reserved, job.charged, job.open) == (250, 0, 250)
    await ledger.release("v", "r", "provider_error")
    job = await ledger.reconcile("veo-job")
    assert (job.charged, job.refunded, job.open, job.revenue_usd, job.provider_cost_usd) == (
        0,
        250,
        0,
        Decimal("0.0000"),
        Decimal("0.0000"),
    )
    assert job.margin_ratio is None
    with pytest.raises(InvalidTransfer, match="no reservation"):
        await ledger.reconcile("never-ran")
