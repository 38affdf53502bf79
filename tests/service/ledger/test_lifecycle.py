"""The ledger's dedicated connections never outlive their use: a program that forgets
`close()` still exits (SQLite's connection thread would otherwise keep it alive)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

PROGRAM = textwrap.dedent("""
    import asyncio, sys
    from service.storage.db import create_engine
    from service.ledger import Ledger

    async def main() -> None:
        engine = create_engine(sys.argv[1])
        ledger = Ledger(engine)  # never closed
        await ledger.grant("g", "ana", 100)
        print((await ledger.balance("ana")).available)

    asyncio.run(main())
""")


def test_a_program_that_forgets_to_close_the_ledger_still_exits(sqlite_db: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, sqlite_db], capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout.strip()) == (0, "100"), done.stderr
