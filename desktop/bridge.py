"""The one bridge between the service and Qt (SPEC section 4).

It finds or starts the service, owns the `ServiceClient`, turns the service's event stream into
typed Qt signals and reconnects with backoff when the service goes away (a restart may bring a
new port and token, so every attempt asks the connector afresh).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from PySide6.QtCore import QObject, Signal

from shared.api_schemas import Health, StreamEvent
from shared.errors import ReelcraftError
from shared.schemas import Generation
from shared.states import TERMINAL_JOB_STATES, JobState

if TYPE_CHECKING:
    # httpx (under shared.client) costs ~150 ms to import: it loads when the bridge connects,
    # after the window is on screen.
    from shared.client import ServiceClient

log = logging.getLogger(__name__)

Connector = Callable[[], Awaitable["ServiceClient"]]
ACTIVE_STATES = [s for s in JobState if s not in TERMINAL_JOB_STATES]


class ConnectionState(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"


@dataclass(frozen=True)
class Balance:
    available: int
    reserved: int = 0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Balance:
        return cls(int(data["available"]), int(data.get("reserved", 0)))


class ServiceBridge(QObject):
    connection_changed = Signal(str)  # ConnectionState value
    health_changed = Signal(object)  # Health
    models_changed = Signal(object)  # ModelsResponse
    balance_changed = Signal(object)  # Balance
    generation_changed = Signal(object)  # Generation
    resynced = Signal()  # a (re)connection finished loading the current state

    def __init__(
        self,
        connector: Connector,
        *,
        min_backoff_s: float = 0.25,
        max_backoff_s: float = 5.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._connector = connector
        self._min_backoff = min_backoff_s
        self._max_backoff = max_backoff_s
        self._client: ServiceClient | None = None
        self._task: asyncio.Task[None] | None = None
        self._state = ConnectionState.STOPPED
        self.health: Health | None = None
        self.balance: Balance | None = None
        self.last_error = ""
        self.connections = 0
        self.synced = False  # the current connection has loaded the service's state

    # -- public -----------------------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def client(self) -> ServiceClient | None:
        return self._client if self._state is ConnectionState.CONNECTED else None

    def require_client(self) -> ServiceClient:
        client = self.client
        if client is None:
            from shared.client import ServiceUnreachable

            raise ServiceUnreachable("Not connected to the Reelcraft service yet.")
        return client

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._set_state(ConnectionState.CONNECTING)
            self._task = asyncio.get_event_loop().create_task(self._run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._close()
        self._set_state(ConnectionState.STOPPED)

    def set_connector(self, connector: Connector) -> None:
        """Point at another service (Settings: local or a team server); reconnects."""
        self._connector = connector
        if self._task is not None:
            self._task.cancel()
            self._task = None
            self.start()

    async def refresh_balance(self) -> Balance | None:
        client = self.client
        if client is None:
            return None
        try:
            self._set_balance(Balance.from_json(await client.get_json("/credits/balance")))
        except (ReelcraftError, KeyError, TypeError, ValueError) as exc:
            log.info("balance not available: %s", exc)
        return self.balance

    # -- the connection loop ----------------------------------------------------------------

    async def _run(self) -> None:
        delay = self._min_backoff
        while True:
            stream: asyncio.Task[None] | None = None
            try:
                self._client = await self._connector()
                self.health = await self._client.health()
                # Listen first, then load the snapshot, so nothing between them is missed.
                stream = asyncio.ensure_future(self._consume(self._client))
                self._set_state(ConnectionState.CONNECTED)
                self.connections += 1
                self.health_changed.emit(self.health)
                await self._resync(self._client)
                delay = self._min_backoff
                await stream
                self.last_error = "the event stream ended"
            except asyncio.CancelledError:
                if stream is not None:
                    stream.cancel()
                raise
            except (ReelcraftError, OSError, ValidationError, ValueError) as exc:
                self.last_error = str(exc)
                log.info("service connection lost: %s", exc)
            finally:
                if stream is not None and not stream.done():
                    stream.cancel()
                await self._close()
            self._set_state(ConnectionState.RECONNECTING)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_backoff)

    async def _consume(self, client: ServiceClient) -> None:
        async for event in client.stream_events():
            self._dispatch(event)

    async def _resync(self, client: ServiceClient) -> None:
        self.models_changed.emit(await client.models())
        await self.refresh_balance()
        active = await client.generations(state=ACTIVE_STATES, limit=50)
        recent = await client.generations(limit=20)
        for generation in [*recent.items, *active.items]:
            self.generation_changed.emit(generation)
        self.synced = True
        self.resynced.emit()

    def _dispatch(self, event: StreamEvent) -> None:
        try:
            if event.type == "generation":
                self.generation_changed.emit(Generation.model_validate(event.data))
            elif event.type == "balance":
                self._set_balance(Balance.from_json(event.data))
        except (ValidationError, KeyError, TypeError, ValueError) as exc:
            log.warning("ignored a malformed %s event: %s", event.type, exc)

    def _set_balance(self, balance: Balance) -> None:
        if balance != self.balance:
            self.balance = balance
            self.balance_changed.emit(balance)

    def _set_state(self, state: ConnectionState) -> None:
        if state is not ConnectionState.CONNECTED:
            self.synced = False
        if state != self._state:
            self._state = state
            self.connection_changed.emit(state.value)

    async def _close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.aclose()
