"""Ledger test fixtures: real, migrated SQLite and PostgreSQL databases (copied from a
template migrated once per session), ledgers over them, and a served Stripe emulator."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from service.ledger import Ledger
from service.storage.base import utcnow
from service.storage.db import create_engine, sqlite_url, upgrade_sync

VIDEO = {"model": "kling-2.6", "resolution": "1080p", "duration": 5, "provider_cost_usd": 0.7}


def video_extra(credits: int, **more: object) -> dict[str, object]:
    """The extra data a Kling reservation carries (seed 000's extraData)."""
    return {**VIDEO, "credits": credits, **more}


class FakeClock:
    """Deterministic time for timeouts: each reading advances by a microsecond."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


async def _pg_exec(admin_url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ledger-template") / "template.db"
    upgrade_sync(sqlite_url(path))
    return path


@pytest.fixture(scope="session")
def pg_template(postgres_server: str) -> str:
    name = f"ledger_tmpl_{uuid.uuid4().hex[:8]}"
    asyncio.run(_pg_exec(postgres_server, f'CREATE DATABASE "{name}"'))
    upgrade_sync(postgres_server.rsplit("/", 1)[0] + f"/{name}")
    return name


@pytest.fixture
def sqlite_db(sqlite_template: Path, tmp_path: Path) -> str:
    target = tmp_path / "ledger.db"
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{sqlite_template}{suffix}")
        if source.exists():
            shutil.copy(source, f"{target}{suffix}")
    return sqlite_url(target)


@pytest.fixture
def pg_db(postgres_server: str, pg_template: str) -> Iterator[str]:
    name = f"ledger_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_exec(postgres_server, f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    yield postgres_server.rsplit("/", 1)[0] + f"/{name}"
    asyncio.run(_pg_exec(postgres_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """A migrated database of each kind."""
    return str(request.getfixturevalue("sqlite_db" if request.param == "sqlite" else "pg_db"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def ledger(db_url: str, clock: FakeClock) -> AsyncIterator[Ledger]:
    engine = create_engine(db_url)
    async with Ledger(engine, clock=clock) as opened:
        yield opened
    await engine.dispose()


@pytest.fixture
async def sqlite_ledger(sqlite_db: str, clock: FakeClock) -> AsyncIterator[Ledger]:
    """For behaviour that does not depend on the backend."""
    engine = create_engine(sqlite_db)
    async with Ledger(engine, clock=clock) as opened:
        yield opened
    await engine.dispose()
