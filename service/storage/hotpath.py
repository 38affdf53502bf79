"""The hot path: dedicated connections that run latency-critical statements in autocommit
(or a few in one short transaction), on the database driver. The ledger's reserve, capture,
release and balance read use it, and so does accepting a generation.

Why: a reservation or a capture is a single INSERT (the triggers do the rest), so its cost
is whatever it costs to get one statement to the database and commit it. Through
SQLAlchemy's pool and statement machinery that is ~200 us of pool checkout plus ~150 us per
statement (4-5 thread hops on aiosqlite); on a dedicated connection, in autocommit, it is one
driver call. SQLAlchemy still compiles the SQL and provides the type processors, so values
are stored exactly as everywhere else, and the connections come from the engine's pool, so
they carry its settings (SQLite pragmas: WAL, foreign keys, busy timeout).

SQLite gets one connection: SQLite admits one writer at a time anyway, and writes also take
the process's SQLite write gate (service.storage.db.write_gate), so they never meet another
of this process's writers in SQLite's busy handler. PostgreSQL gets a few: concurrent
transfers on different accounts proceed in parallel, on the same wallet they queue on its
row lock.

Connections are closed by `close()`, after `idle_s` without use, and when the event loop
shuts down, so a forgotten close() cannot leave a connection (and SQLite's thread) behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ClauseElement, ColumnElement
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.compiler import SQLCompiler

from service.storage.db import write_gate

Processor = Callable[[Any], Any] | None


class Refused(Exception):
    """The database refused the statement: a constraint or a ledger trigger said no."""


@dataclass(frozen=True)
class Prepared:
    """A statement compiled once for the dialect, with SQLAlchemy's own type processors."""

    sql: str
    names: tuple[str, ...]
    binds: tuple[Processor, ...]
    defaults: Mapping[str, Any]
    columns: tuple[str, ...]
    results: tuple[Processor, ...]

    def params(self, values: Mapping[str, Any]) -> list[Any]:
        out = []
        for name, process in zip(self.names, self.binds, strict=True):
            value = values[name] if name in values else self.defaults[name]
            out.append(process(value) if process is not None else value)
        return out

    def rows(self, raw: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
        return [
            {
                c: (p(v) if p is not None else v)
                for c, p, v in zip(self.columns, self.results, row, strict=True)
            }
            for row in raw
        ]


def prepare(
    stmt: ClauseElement,
    dialect: Dialect,
    *,
    column_keys: Sequence[str] | None = None,
    returning: Sequence[ColumnElement[Any]] = (),
) -> Prepared:
    compiled = cast(
        SQLCompiler, stmt.compile(dialect=dialect, column_keys=list(column_keys or ()) or None)
    )
    names = tuple(compiled.positiontup or ())
    binds = tuple(
        compiled.binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names
    )
    defaults = {n: b.effective_value for n, b in compiled.binds.items() if not b.required}
    results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in returning)
    return Prepared(
        compiled.string, names, binds, defaults, tuple(c.name for c in returning), results
    )


class _Connection:
    def __init__(self, conn: AsyncConnection, driver: Any, sqlite: bool) -> None:
        self.conn = conn
        self.driver = driver
        self.sqlite = sqlite

    async def run(self, prepared: Prepared, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        params = prepared.params(values)
        if self.sqlite:
            try:
                raw = await self.driver.execute_fetchall(prepared.sql, params)
            except sqlite3.IntegrityError as exc:
                raise Refused(str(exc)) from None
        else:
            try:
                raw = await self.driver.fetch(prepared.sql, *params)
            except Exception as exc:
                # asyncpg: SQLSTATE class 23 is an integrity constraint violation.
                if str(getattr(exc, "sqlstate", "")).startswith("23"):
                    raise Refused(str(exc)) from None
                raise
        return prepared.rows(raw)

    async def transaction(self, statements: Sequence[tuple[Prepared, Mapping[str, Any]]]) -> None:
        if self.sqlite:
            await self.driver.execute("BEGIN IMMEDIATE")
            try:
                for prepared, values in statements:
                    await self.driver.execute(prepared.sql, prepared.params(values))
            except BaseException as exc:
                with contextlib.suppress(Exception):
                    await self.driver.execute("ROLLBACK")
                if isinstance(exc, sqlite3.IntegrityError):
                    raise Refused(str(exc)) from None
                raise
            await self.driver.execute("COMMIT")
            return
        try:
            async with self.driver.transaction():
                for prepared, values in statements:
                    await self.driver.execute(prepared.sql, *prepared.params(values))
        except Exception as exc:
            if str(getattr(exc, "sqlstate", "")).startswith("23"):
                raise Refused(str(exc)) from None
            raise

    async def close(self) -> None:
        # Closed, not returned: the pool must not hand out a connection left in autocommit.
        with contextlib.suppress(Exception):
            await self.conn.invalidate()
        with contextlib.suppress(Exception):
            await self.conn.close()


class Unavailable(Exception):
    """The database failed mid-statement (lost connection, locked out): retry is safe only
    for idempotent work."""


class HotPath:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        size: int | None = None,
        idle_s: float = 5.0,
        unavailable: Callable[[Exception], Exception] = Unavailable,
    ):
        self._unavailable = unavailable
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._size = 1 if self._sqlite else (size or 4)
        self._idle_s = idle_s
        self._slots = asyncio.Semaphore(self._size)
        self._idle: list[_Connection] = []
        self._busy = 0
        self._last_used = time.monotonic()
        self._reaper: asyncio.Task[None] | None = None

    @property
    def dialect(self) -> Dialect:
        return self._engine.dialect

    async def run(
        self, prepared: Prepared, values: Mapping[str, Any], *, write: bool = True
    ) -> list[dict[str, Any]]:
        """Run one statement in its own committed transaction (autocommit)."""
        gate = write_gate(self._engine) if write else contextlib.nullcontext()
        async with self._slots, gate:
            try:
                conn = self._idle.pop() if self._idle else await self._open()
            except Exception as exc:
                raise self._unavailable(exc) from exc
            self._busy += 1
            try:
                rows = await conn.run(prepared, values)
            except Refused:
                self._idle.append(conn)
                raise
            except Exception as exc:
                await conn.close()  # state unknown (lost connection, locked out): drop it
                raise self._unavailable(exc) from exc
            except BaseException:
                await conn.close()  # cancelled mid-statement: its outcome is unknown
                raise
            else:
                self._idle.append(conn)
            finally:
                self._busy -= 1
                self._last_used = time.monotonic()
        return rows

    async def transaction(self, statements: Sequence[tuple[Prepared, Mapping[str, Any]]]) -> None:
        """Run a few write statements as one transaction on a dedicated connection."""
        async with self._slots, write_gate(self._engine):
            try:
                conn = self._idle.pop() if self._idle else await self._open()
            except Exception as exc:
                raise self._unavailable(exc) from exc
            self._busy += 1
            try:
                await conn.transaction(statements)
            except Refused:
                self._idle.append(conn)
                raise
            except BaseException as exc:
                await conn.close()  # its state is unknown: drop it
                if isinstance(exc, Exception):
                    raise self._unavailable(exc) from exc
                raise
            else:
                self._idle.append(conn)
            finally:
                self._busy -= 1
                self._last_used = time.monotonic()

    async def _open(self) -> _Connection:
        conn = await self._engine.connect()
        try:
            driver = (await conn.get_raw_connection()).driver_connection
            if driver is None:
                raise RuntimeError("the pool handed out a closed connection")
            if self._sqlite:
                # Autocommit: the INSERT and its trigger updates commit as one statement.
                driver.isolation_level = None
        except BaseException:
            await conn.close()
            raise
        if self._reaper is None or self._reaper.done():
            self._reaper = asyncio.get_running_loop().create_task(self._reap())
        return _Connection(conn, driver, self._sqlite)

    async def _reap(self) -> None:
        try:
            while self._idle or self._busy:
                await asyncio.sleep(self._idle_s)
                if not self._busy and time.monotonic() - self._last_used >= self._idle_s:
                    await self._close_idle()
        finally:
            # Also runs when the loop shuts down and cancels this task.
            await self._close_idle()

    async def _close_idle(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            await conn.close()

    async def close(self) -> None:
        reaper, self._reaper = self._reaper, None
        if reaper is not None and not reaper.done():
            reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reaper
        await self._close_idle()
