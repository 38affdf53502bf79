"""Suite-wide fixtures: isolated data dirs, real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.logging import RedactingFilter
from tests.support.postgres import postgres_cluster

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia*=false;qt.rhi*=false")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """URL of a PostgreSQL cluster shared by the session (one database per test below)."""
    with postgres_cluster() as url:
        if url is None:
            if os.environ.get("REELCRAFT_REQUIRE_PG") == "1":
                pytest.fail("PostgreSQL is required (REELCRAFT_REQUIRE_PG=1) but not installed")
            pytest.skip("PostgreSQL is not installed")
        yield url


@pytest.fixture
def pg_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    import asyncio

    import asyncpg

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = postgres_server.replace("postgresql+asyncpg://", "postgresql://")

    async def _exec(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(_exec(f'CREATE DATABASE "{name}"'))
    yield postgres_server.rsplit("/", 1)[0] + f"/{name}"
    asyncio.run(_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'reelcraft.db'}"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated data dir, also exported as REELCRAFT_DATA_DIR for subprocesses."""
    d = tmp_path / "data"
    d.mkdir()
    monkeypatch.setenv("REELCRAFT_DATA_DIR", str(d))
    return d


class _SuiteLogCapture(logging.Handler):
    """Every log line of the whole test run, as a log file would hold it (redacted)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.addFilter(RedactingFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


SUITE_LOGS = _SuiteLogCapture()


@pytest.fixture(scope="session", autouse=True)
def _capture_every_log_line() -> Iterator[None]:
    logging.getLogger().addHandler(SUITE_LOGS)
    yield
    logging.getLogger().removeHandler(SUITE_LOGS)
