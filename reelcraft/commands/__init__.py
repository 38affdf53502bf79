"""CLI subcommands; each module registers its own parsers."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from reelcraft.commands import catalogue, credits, emulator, generate, jobs, service

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

COMMANDS: list[Register] = [
    catalogue.register,
    emulator.register,
    service.register,
    generate.register,
    jobs.register,
    credits.register,
]
