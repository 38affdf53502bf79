"""Launch the desktop studio (the default when `reelcraft` gets no command)."""

from __future__ import annotations

import argparse
import sys


def launch_studio(args: argparse.Namespace) -> int:
    try:
        from desktop.app import run_studio  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        sys.stdout.write(
            "The desktop studio is not built yet. What runs today:\n"
            "  reelcraft models [--price-book B] [--json]\n"
            "  reelcraft quote MODEL --duration S [--resolution R] [--json]\n"
        )
        return 0
    return int(run_studio(args))
