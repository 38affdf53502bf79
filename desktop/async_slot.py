"""`qasync.asyncSlot` with types: connect a coroutine method to a Qt signal.

qasync schedules the coroutine on the running loop and hands any exception to
`sys.excepthook` (which run_studio logs and pytest-qt turns into a failure); handlers catch the
errors the user should hear about themselves and show them as toasts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, cast

import qasync

P = ParamSpec("P")


def async_slot(fn: Callable[P, Coroutine[Any, Any, None]]) -> Callable[P, asyncio.Task[None]]:
    return cast(Callable[P, asyncio.Task[None]], qasync.asyncSlot()(fn))
