"""`reelcraft [--data-dir D] COMMAND ...`; with no command it launches the studio."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from shared.errors import ErrorCode, ReelcraftError

Handler = Callable[[argparse.Namespace], int]

# Exit codes: 2 for bad input (as argparse does), 1 for every other failure.
EXIT_INVALID = 2
EXIT_FAILED = 1


def exit_code_for(code: ErrorCode) -> int:
    return EXIT_INVALID if code is ErrorCode.INVALID_INPUT else EXIT_FAILED


def print_json(value: Any) -> None:
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        text = value.model_dump_json(indent=2)
    elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
        text = "[" + ",\n".join(v.model_dump_json(indent=2) for v in value) + "]"
    else:
        text = json.dumps(value, indent=2, default=str)
    sys.stdout.write(text + "\n")


def build_parser() -> argparse.ArgumentParser:
    from reelcraft.commands import COMMANDS

    parser = argparse.ArgumentParser(
        prog="reelcraft", description="Reelcraft: a desktop studio for AI video posts."
    )
    _add_data_dir(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in COMMANDS:
        register(sub)
    return parser


def _add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="isolate this run's data (also REELCRAFT_DATA_DIR)",
    )


def _studio_arguments(argv: Sequence[str]) -> argparse.Namespace | None:
    """The arguments when they name no command (the studio), parsed without importing every
    command's module: the studio's start-up time is a product budget."""
    parser = argparse.ArgumentParser(prog="reelcraft", add_help=False)
    _add_data_dir(parser)
    args, rest = parser.parse_known_args(argv)
    return None if rest else args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _studio_arguments(argv) or build_parser().parse_args(argv)
    if getattr(args, "command", None) is None:
        from desktop.app import run_studio

        return run_studio(args)
    handler: Handler = args.handler
    try:
        return handler(args)
    except ReelcraftError as exc:
        sys.stderr.write(f"reelcraft: {exc.code.value}: {exc.message}\n")
        return exit_code_for(exc.code)
    except KeyboardInterrupt:
        return 130
