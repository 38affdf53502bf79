"""Alembic migrations build exactly the schema of the models, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from service.storage.base import Base
from service.storage.db import alembic_config, create_engine, upgrade_sync

TABLES = {
    "users",
    "user_roles",
    "generations",
    "generation_events",
    "ledger_accounts",
    "ledger_transfers",
    "credit_purchases",
    "media",
    "config_entries",
    "analytics_events",
}


def _diff(connection: Connection) -> list[Any]:
    ctx = MigrationContext.configure(connection, opts={"compare_type": False})
    return list(compare_metadata(ctx, Base.metadata))


async def _schema_state(url: str) -> tuple[set[str], list[Any]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            diff = await conn.run_sync(_diff)
            return tables, diff
    finally:
        await engine.dispose()


def _roundtrip(url: str) -> None:
    upgrade_sync(url)
    tables, diff = asyncio.run(_schema_state(url))
    assert tables >= TABLES
    assert diff == [], f"models and migrations disagree: {diff}"
    command.downgrade(alembic_config(url), "base")
    tables, _ = asyncio.run(_schema_state(url))
    assert tables <= {"alembic_version"}
    upgrade_sync(url)  # and back up again


def test_migrations_match_models_on_sqlite(sqlite_url: str) -> None:
    _roundtrip(sqlite_url)


def test_migrations_match_models_on_postgresql(pg_url: str) -> None:
    _roundtrip(pg_url)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_wallet_cannot_go_negative_even_bypassing_code(
    backend: str, sqlite_url: str, request: pytest.FixtureRequest
) -> None:
    url = sqlite_url if backend == "sqlite" else request.getfixturevalue("pg_url")
    upgrade_sync(url)

    async def go() -> None:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO users (id, display_name, created_at) "
                        "VALUES ('u', '', CURRENT_TIMESTAMP)"
                    )
                )
                await conn.execute(
                    text(
                        "INSERT INTO ledger_accounts (id, kind, user_id, debits_posted,"
                        " credits_posted, debits_pending, credits_pending, created_at)"
                        " VALUES ('wallet:u', 'wallet', 'u', 0, 10, 0, 0, CURRENT_TIMESTAMP)"
                    )
                )
            with pytest.raises(Exception, match=r"(?i)check|constraint"):
                async with engine.begin() as conn:
                    await conn.execute(
                        text("UPDATE ledger_accounts SET debits_pending = 11 WHERE id = 'wallet:u'")
                    )
        finally:
            await engine.dispose()

    asyncio.run(go())
