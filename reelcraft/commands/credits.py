"""`reelcraft credits balance | statement | packages | grant N`.

For now these work directly on the local database in the data dir (migrated first); they
will go through the service API once it exists.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from reelcraft.cli import print_json
from shared.config import load_settings

if TYPE_CHECKING:  # the ledger (SQLAlchemy, Alembic) loads only when a credits command runs
    from service.ledger import Ledger
    from shared.ledger_schemas import Balance, Transfer

T = TypeVar("T")


def _with_ledger(args: argparse.Namespace, work: Callable[[Ledger], Awaitable[T]]) -> T:
    settings = load_settings(args.data_dir)
    settings.ensure_dirs()

    from service.ledger import Ledger
    from service.storage.db import open_database

    async def run() -> T:
        async with open_database(settings.database_url) as engine, Ledger(engine) as ledger:
            return await work(ledger)

    return asyncio.run(run())


def _user(args: argparse.Namespace) -> str:
    return str(args.user or load_settings(args.data_dir).user_id)


def _balance(args: argparse.Namespace) -> int:
    balance = _with_ledger(args, lambda ledger: ledger.balance(_user(args)))
    if args.json:
        print_json(balance)
    else:
        sys.stdout.write(
            f"{balance.available:,} credits available, {balance.reserved:,} reserved "
            f"for videos in progress ({balance.posted:,} in the wallet)\n"
        )
    return 0


def _statement(args: argparse.Namespace) -> int:
    page = _with_ledger(args, lambda ledger: ledger.statement(_user(args), args.cursor, args.limit))
    if args.json:
        print_json(page)
        return 0
    if not page.entries:
        sys.stdout.write("No credit movements yet.\n")
        return 0
    for e in page.entries:
        status = f" ({e.status.value})" if e.status else ""
        job = f"  job {e.job_id}" if e.job_id else ""
        sys.stdout.write(
            f"{e.at:%Y-%m-%d %H:%M:%S}  {e.available_delta:>+9,}  {e.source:<20} "
            f"{e.kind.value}{status}{job}\n"
        )
    if page.next_cursor:
        sys.stdout.write(f"More: --cursor {page.next_cursor}\n")
    return 0


def _packages(args: argparse.Namespace) -> int:
    from service.ledger.packages import shipped_packages

    packages = list(shipped_packages().packages)
    if args.json:
        print_json(packages)
        return 0
    for p in packages:
        bonus = f" + {p.bonus_credits:,} bonus" if p.bonus_credits else ""
        popular = "  (most popular)" if p.popular else ""
        sys.stdout.write(
            f"{p.label:<11} ${p.price_cents / 100:>6.2f}  {p.credits:>6,} credits{bonus}{popular}\n"
        )
    return 0


def _grant(args: argparse.Namespace) -> int:
    user = _user(args)
    transfer_id = args.id or f"grant:{uuid.uuid4().hex}"

    async def work(ledger: Ledger) -> tuple[Transfer, Balance]:
        transfer = await ledger.grant(
            transfer_id, user, args.amount, reason=args.reason, granted_by="cli"
        )
        return transfer, await ledger.balance(user)

    transfer, balance = _with_ledger(args, work)
    if args.json:
        print_json(transfer)
    else:
        sys.stdout.write(
            f"Granted {args.amount:,} credits to {user} ({transfer.id}); "
            f"{balance.available:,} available now.\n"
        )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    credits = sub.add_parser("credits", help="credits: balance, statement, packages, grants")
    actions = credits.add_subparsers(dest="credits_command", metavar="ACTION", required=True)

    def common(p: argparse.ArgumentParser, *, user: bool = True) -> None:
        if user:
            p.add_argument("--user", default=None, help="default: this profile's user")
        p.add_argument("--json", action="store_true")

    b = actions.add_parser("balance", help="credits available and reserved")
    common(b)
    b.set_defaults(handler=_balance)

    s = actions.add_parser("statement", help="credit movements, newest first")
    common(s)
    s.add_argument("--limit", type=int, default=20)
    s.add_argument("--cursor", default=None, help="continue from a previous page")
    s.set_defaults(handler=_statement)

    p = actions.add_parser("packages", help="credit packages for sale")
    common(p, user=False)
    p.set_defaults(handler=_packages)

    g = actions.add_parser("grant", help="grant credits (admin)")
    g.add_argument("amount", type=int, metavar="N")
    common(g)
    g.add_argument("--reason", default="", help="shown on the statement")
    g.add_argument("--id", default=None, help="transfer id: repeating it grants only once")
    g.set_defaults(handler=_grant)
