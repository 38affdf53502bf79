"""Run the emulator: in-process on a background thread (service demo mode, tests) or in the
foreground (`reelcraft emulator`).

The listening socket is bound before uvicorn starts, so port 0 gives a free port with no
race and the URLs the emulator hands out already name the right port.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from types import TracebackType

import uvicorn
from fastapi import FastAPI

from service.providers.emulator.app import create_app
from service.providers.emulator.core import EmulatorConfig, EmulatorState


class _InjectedFaultNoise(logging.Filter):
    """Download faults break responses on purpose; uvicorn reports each one as an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith("ASGI callable returned without completing"):
            return False
        exc = record.exc_info[1] if record.exc_info else None
        return not (isinstance(exc, ConnectionResetError) and "emulator fault" in str(exc))


logging.getLogger("uvicorn.error").addFilter(_InjectedFaultNoise())


def _bind(host: str, port: int) -> socket.socket:
    # proto must say TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose
    # proto is IPPROTO_TCP, and without it every response stalls ~40 ms (Nagle + delayed ACK).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _uvicorn_config(app: FastAPI, host: str, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=1,
        # Hanging-response faults keep connections open; don't let keep-alive pile them up.
        timeout_keep_alive=5,
    )


class EmulatorServer:
    """`with EmulatorServer(config) as emu: emu.base_url` — started on a daemon thread."""

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
        public_url: str | None = None,
    ) -> None:
        self.config = config or EmulatorConfig()
        self._sock = _bind(host, port)
        self.host = host
        self.port: int = self._sock.getsockname()[1]
        public_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        # Behind a proxy or on a LAN, the URLs handed out must use the name clients know.
        self.config.public_base_url = (public_url or f"http://{public_host}:{self.port}").rstrip(
            "/"
        )
        app = create_app(self.config)
        self._state: EmulatorState = app.state.emulator
        self._server = uvicorn.Server(_uvicorn_config(app, host, log_level))
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return self.config.public_base_url

    @property
    def key(self) -> str:
        return self.config.key

    @property
    def state(self) -> EmulatorState:
        return self._state

    def start(self, timeout: float = 10.0) -> EmulatorServer:
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._server.serve(sockets=[self._sock])),
            name=f"emulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the provider emulator did not start")
            time.sleep(0.005)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self.state.shutting_down.set()
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._sock.close()

    def run(self) -> None:
        """Serve in the foreground until Ctrl+C (the CLI)."""
        self._server.run(sockets=[self._sock])

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
