"""`reelcraft service`: run the job service (local by default, or a team server)."""

from __future__ import annotations

import argparse
import asyncio

from shared.config import load_settings
from shared.logging import configure_logging


def _service(args: argparse.Namespace) -> int:
    from service.process import ServeOptions, serve

    settings = load_settings(args.data_dir)
    settings.ensure_dirs()
    configure_logging(settings.log_level, settings.log_dir / "service.log")
    options = ServeOptions(
        host=args.host,
        port=args.port,
        db_url=args.db,
        idle_exit_s=None if args.idle_exit <= 0 else args.idle_exit,
    )
    return asyncio.run(serve(settings, options))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("service", help="run the job service")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument(
        "--db", default=None, metavar="URL", help="database URL (default: SQLite in the data dir)"
    )
    p.add_argument(
        "--idle-exit",
        type=float,
        default=600.0,
        metavar="S",
        help="exit after S idle seconds with nothing in flight (0: never)",
    )
    p.set_defaults(handler=_service)
