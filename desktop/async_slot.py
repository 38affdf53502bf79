"""Background coroutines of the UI: `async_slot` (qasync.asyncSlot with types) connects a
coroutine method to a Qt signal, `spawn` starts one from plain code.

Every such task is remembered until it ends, so closing the studio can cancel and await what
is still in flight before the HTTP client goes away. qasync hands a slot's exception to
`sys.excepthook` (run_studio logs it; pytest-qt turns it into a failure); handlers catch the
errors the user should hear about themselves and show them as toasts.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any, ParamSpec, TypeVar, cast

import qasync

P = ParamSpec("P")
T = TypeVar("T")
_pending: set[asyncio.Task[Any]] = set()


def _track(task: asyncio.Task[T]) -> asyncio.Task[T]:
    _pending.add(task)
    task.add_done_callback(_pending.discard)
    return task


def spawn(coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
    return _track(asyncio.get_event_loop().create_task(coro))


def async_slot(fn: Callable[P, Coroutine[Any, Any, None]]) -> Callable[P, asyncio.Task[None]]:
    slot = qasync.asyncSlot()(fn)

    @wraps(fn)
    def start(*args: P.args, **kwargs: P.kwargs) -> asyncio.Task[None]:
        return _track(cast(asyncio.Task[None], slot(*args, **kwargs)))

    return start


async def cancel_pending() -> None:
    """Cancel every UI task still running and wait for them to unwind."""
    current = asyncio.current_task()
    tasks = [t for t in _pending if t is not current and not t.done()]
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
