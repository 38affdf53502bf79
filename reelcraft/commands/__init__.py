"""CLI subcommands; each module registers its own parsers."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from reelcraft.commands import catalogue

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

COMMANDS: list[Register] = [catalogue.register]
