"""Helpers for commands that talk to the service through the typed client."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from shared.client import ServiceClient, connect_or_start
from shared.config import load_settings

T = TypeVar("T")


def with_client(args: argparse.Namespace, work: Callable[[ServiceClient], Awaitable[T]]) -> T:
    """Find (or start) the local service for this data dir, run `work`, close the client."""
    settings = load_settings(args.data_dir)

    async def run() -> T:
        client = await connect_or_start(settings.data_dir)
        try:
            return await work(client)
        finally:
            await client.aclose()

    return asyncio.run(run())
