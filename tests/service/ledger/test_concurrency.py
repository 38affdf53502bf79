"""Concurrent reservations never overspend: the balance check and the hold are one statement
under the database's write serialisation (SQLite) or the wallet's row lock (PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from service.ledger import AlreadyResolved, InsufficientCredits, Ledger
from service.storage.db import create_engine
from shared.ledger_schemas import Balance
from tests.service.ledger.conftest import video_extra

PRICE = 250


@asynccontextmanager
async def ledgers(url: str, count: int) -> AsyncIterator[list[Ledger]]:
    """Several ledgers on their own engines: separate service processes sharing a database."""
    async with AsyncExitStack() as stack:
        opened = []
        for _ in range(count):
            engine = create_engine(url)
            stack.push_async_callback(engine.dispose)
            opened.append(await stack.enter_async_context(Ledger(engine)))
        yield opened


async def test_fifty_concurrent_reservations_against_ten_reservations_worth(db_url: str) -> None:
    async with ledgers(db_url, 5) as fleet:
        await fleet[0].grant("funds", "ana", 10 * PRICE)
        start = asyncio.Event()

        async def reserve(i: int) -> bool:
            await start.wait()
            try:
                await fleet[i % len(fleet)].reserve(
                    f"r{i}", "ana", PRICE, "video_post_kling", f"job-{i}", video_extra(PRICE)
                )
            except InsufficientCredits:
                return False
            return True

        tasks = [asyncio.create_task(reserve(i)) for i in range(50)]
        await asyncio.sleep(0.05)
        start.set()
        outcomes = await asyncio.gather(*tasks)

        assert outcomes.count(True) == 10
        assert await fleet[0].balance("ana") == Balance(
            user_id="ana", available=0, reserved=10 * PRICE, posted=10 * PRICE
        )
        (await fleet[0].audit()).raise_if_failed()


async def test_a_capture_racing_a_cancel_lets_exactly_one_win(db_url: str) -> None:
    async with ledgers(db_url, 2) as (engine_side, user_side):
        await engine_side.grant("funds", "ana", 20 * PRICE)
        for i in range(20):
            await engine_side.reserve_for_job(
                job_id=f"job-{i}",
                user_id="ana",
                amount=PRICE,
                source="video_post_kling",
                extra=video_extra(PRICE),
            )
        results = await asyncio.gather(
            *(
                coro
                for i in range(20)
                for coro in (
                    engine_side.capture_for_job(job_id=f"job-{i}"),
                    user_side.release_for_job(job_id=f"job-{i}", reason="cancelled"),
                )
            )
        )
        captured, released = results[0::2], results[1::2]
        assert all(c != r for c, r in zip(captured, released, strict=True))
        balance = await user_side.balance("ana")
        assert balance.reserved == 0
        assert balance.posted == 20 * PRICE - captured.count(True) * PRICE
        with_both = [i for i in range(20) if captured[i] and released[i]]
        assert with_both == []
        try:
            await user_side.release("again", "job:job-0:reserve", "cancelled")
        except AlreadyResolved:
            pass
        else:
            raise AssertionError("a resolved reservation was released again")
        (await user_side.audit()).raise_if_failed()
