"""The local service process: bind, publish the service file, serve, exit when idle.

`reelcraft service` runs this. The socket is bound before anything else so a random port is
known up front; the service file (URL + bearer token, mode 0600) appears only once the API
answers, and is removed on exit if it is still ours.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import secrets
import signal
import socket
import time
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.client.discovery import (
    ServiceFile,
    read_service_file,
    service_file_path,
    write_service_file,
)
from shared.config import Settings
from shared.logging import register_secret

log = logging.getLogger(__name__)


@dataclass
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 0
    db_url: str | None = None
    idle_exit_s: float | None = 600.0  # None: never (team server)
    token: str | None = None


class ActivityTracker:
    """ASGI middleware noting the time of the last request, for the idle exit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.last_request = time.monotonic()
        self.open_streams = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.last_request = time.monotonic()
        streaming = scope.get("path", "").endswith("/events")
        self.open_streams += streaming
        try:
            await self.app(scope, receive, send)
        finally:
            self.open_streams -= streaming
            self.last_request = time.monotonic()


def bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Inherited by accepted connections: without it small responses wait ~40 ms for
    # delayed ACKs (Nagle), which dominated every request's latency.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


async def serve(settings: Settings, options: ServeOptions) -> int:
    from service.runtime import open_service  # heavy imports only when serving

    settings.ensure_dirs()
    token = options.token or secrets.token_urlsafe(32)
    register_secret(token)
    sock = bind(options.host, options.port)
    port = sock.getsockname()[1]
    public_host = "127.0.0.1" if options.host in ("0.0.0.0", "::", "") else options.host
    base_url = f"http://{public_host}:{port}"
    async with open_service(
        settings, db_url=options.db_url, token=token, public_base_url=base_url
    ) as (ctx, app):
        tracker = ActivityTracker(app)
        server = uvicorn.Server(
            uvicorn.Config(
                tracker,
                log_config=None,
                access_log=False,
                lifespan="off",
                timeout_graceful_shutdown=2,
                timeout_keep_alive=30,
            )
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        if serving.done():
            return 1
        # Start-up objects (imports, catalogue, app) live for the whole process: keep them out
        # of every future collection, and collect young objects less often. With a thousand
        # jobs in flight a full collection otherwise stalls the event loop for 100+ ms.
        gc.collect()
        gc.freeze()
        gc.set_threshold(20_000, 50, 1000)
        info = ServiceFile(url=base_url, token=token, pid=os.getpid(), demo_mode=ctx.demo_mode)
        write_service_file(settings.data_dir, info)
        log.info("Reelcraft service on %s (demo mode: %s)", base_url, ctx.demo_mode)
        try:
            while not serving.done():
                await asyncio.sleep(1.0)
                idle = time.monotonic() - tracker.last_request
                if (
                    options.idle_exit_s is not None
                    and idle > options.idle_exit_s
                    and ctx.runner.in_flight == 0
                    and tracker.open_streams == 0
                ):
                    log.info("idle for %.0f s with nothing in flight; exiting", idle)
                    server.should_exit = True
            await serving
        finally:
            current = read_service_file(settings.data_dir)
            if current is not None and current.pid == os.getpid():
                service_file_path(settings.data_dir).unlink(missing_ok=True)
    return 0
