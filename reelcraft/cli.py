"""`reelcraft [--data-dir D] COMMAND ...`; with no command it launches the studio."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from shared.errors import ErrorCode, ReelcraftError

Handler = Callable[[argparse.Namespace], int]

# Exit codes: 2 for bad input (as argparse does), 1 for every other failure.
EXIT_INVALID = 2
EXIT_FAILED = 1


def exit_code_for(code: ErrorCode) -> int:
    return EXIT_INVALID if code is ErrorCode.INVALID_INPUT else EXIT_FAILED


def print_json(value: Any) -> None:
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
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="isolate this run's data (also REELCRAFT_DATA_DIR)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in COMMANDS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from reelcraft.commands.studio import launch_studio

        return launch_studio(args)
    handler: Handler = args.handler
    try:
        return handler(args)
    except ReelcraftError as exc:
        sys.stderr.write(f"reelcraft: {exc.code.value}: {exc.message}\n")
        return exit_code_for(exc.code)
    except KeyboardInterrupt:
        return 130
