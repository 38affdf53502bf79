"""Ledger benchmark (run by hand: `.venv/bin/python bench/ledger_bench.py [--pg URL] [--n N]`).

Reserve+capture pairs per second through the Ledger API, against raw committed single-row
writes on the same database, measured in interleaved rounds of one run. Budget (SPEC 9):
pairs/s >= 0.5 x the raw committed-write rate of the same database.

The raw baseline is the one STACK.md measures: one INSERT of one row per transaction,
committed, through the async SQLAlchemy engine (`engine.begin()`). For transparency the bench
also prints raw writes on the ledger's own access path (a dedicated connection in
autocommit, as the ledger's hot path uses), against which a pair, being two inserts that each
update two accounts through the triggers, necessarily costs several raw writes.

PostgreSQL: `--pg URL` (a database the bench may create tables in), or a throwaway cluster
when PostgreSQL is installed locally; `--no-pg` skips it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, insert

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.ledger import Ledger
from service.storage.db import create_engine, sqlite_url, upgrade
from service.storage.hotpath import HotPath, prepare

ROUNDS = 5
EXTRA = {
    "model": "kling-2.6",
    "resolution": "1080p",
    "duration": 5,
    "credits": 1,
    "provider_cost_usd": 0.7,
}

scratch = MetaData()
raw_rows = Table(
    "bench_raw_writes",
    scratch,
    Column("id", String(40), primary_key=True),
    Column("payload", String(200)),
    Column("n", Integer),
)


async def rate(n: int, one: Callable[[int], Awaitable[object]], offset: int) -> float:
    started = time.perf_counter()
    for i in range(offset, offset + n):
        await one(i)
    return n / (time.perf_counter() - started)


async def measure(url: str, n: int) -> dict[str, float]:
    await upgrade(url)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(scratch.drop_all)
            await conn.run_sync(scratch.create_all)
        row_insert = insert(raw_rows)
        lean = HotPath(engine)
        lean_insert = prepare(row_insert, engine.dialect, column_keys=["id", "payload", "n"])
        run_id = uuid.uuid4().hex[:8]

        async def raw(i: int) -> None:
            async with engine.begin() as conn:
                await conn.execute(row_insert, {"id": f"{run_id}-{i}", "payload": "x" * 60, "n": i})

        async def raw_lean(i: int) -> None:
            await lean.run(lean_insert, {"id": f"{run_id}-lean-{i}", "payload": "x" * 60, "n": i})

        async with Ledger(engine) as ledger:
            await ledger.grant(f"bench-{run_id}", "bench", 10**12)

            async def pair(i: int) -> None:
                hold = await ledger.reserve(
                    f"{run_id}-r{i}", "bench", 1, "video_post_kling", f"{run_id}-{i}", EXTRA
                )
                await ledger.capture(f"{run_id}-c{i}", hold.id)

            await pair(-1)  # warm up: connections, prepared statements
            await raw(-1)
            await raw_lean(-1)
            samples: dict[str, list[float]] = {"raw": [], "pairs": [], "raw_lean": []}
            for r in range(ROUNDS):
                offset = r * n
                samples["raw"].append(await rate(n, raw, offset))
                samples["pairs"].append(await rate(n, pair, offset))
                samples["raw_lean"].append(await rate(n, raw_lean, offset))
            audit = await ledger.audit(["bench"])
            if not audit.ok:
                raise SystemExit(f"the bench broke the ledger: {audit.violations}")
        await lean.close()
        async with engine.begin() as conn:
            await conn.run_sync(scratch.drop_all)
        return {k: statistics.median(v) for k, v in samples.items()}
    finally:
        await engine.dispose()


def report(name: str, m: dict[str, float]) -> None:
    ratio = m["pairs"] / m["raw"]
    verdict = "within budget" if ratio >= 0.5 else "OVER BUDGET"
    print(f"\n{name}")
    print(f"  raw committed single-row writes (SQLAlchemy engine) {m['raw']:8.0f} /s   1.00x")
    print(
        f"  ledger reserve+capture pairs                      {m['pairs']:8.0f} /s   "
        f"{ratio:.2f}x  (budget >= 0.50x: {verdict})"
    )
    print(f"    = ledger operations                              {2 * m['pairs']:8.0f} /s")
    print(
        f"  raw single-row writes on the ledger's access path  {m['raw_lean']:8.0f} /s   "
        f"pairs = {m['pairs'] / m['raw_lean']:.2f}x of these"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400, help="operations per round")
    parser.add_argument("--pg", default=None, help="a PostgreSQL URL (postgresql+asyncpg://)")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    print(f"ledger bench: {ROUNDS} interleaved rounds of {args.n}, medians")
    with tempfile.TemporaryDirectory() as tmp:
        report(
            "SQLite (WAL, synchronous=NORMAL)",
            asyncio.run(measure(sqlite_url(Path(tmp) / "bench.db"), args.n)),
        )
    if args.no_pg:
        return
    if args.pg:
        report("PostgreSQL", asyncio.run(measure(args.pg, args.n)))
        return
    from tests.support.postgres import postgres_cluster

    with postgres_cluster() as url:
        if url is None:
            print("\nPostgreSQL: not installed here; pass --pg URL")
            return
        report("PostgreSQL (throwaway local cluster, fsync=off)", asyncio.run(measure(url, args.n)))


if __name__ == "__main__":
    main()
