"""A real HTTP site for purchase tests: the Stripe emulator router and a webhook receiver
(what the service's API will expose), served by uvicorn on 127.0.0.1 and a free port, on the
test's own event loop so the receiver can use the test's database engine."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from service.ledger.purchases import Purchases
from service.ledger.stripe_client import StripeClient
from service.providers.emulator.stripe_api import create_router
from shared.errors import ReelcraftError

SECRET_KEY = "sk_test_reelcraft_ledger_tests_0001"


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # leave Ctrl-C to pytest
        yield


@dataclass
class Delivery:
    payload: bytes
    signature: str | None
    status: int


@dataclass
class StripeSite:
    base_url: str
    http: httpx.AsyncClient
    client: StripeClient
    webhook_secret: str = ""
    deliveries: list[Delivery] = field(default_factory=list)
    purchases: Purchases | None = None

    async def pay(self, checkout_url: str) -> httpx.Response:
        """What the buyer does: open the hosted page, press Pay."""
        page = await self.http.get(checkout_url)
        assert page.status_code == 200, page.text
        return await self.http.post(checkout_url)

    async def redeliver(self, delivery: Delivery) -> int:
        """Stripe redelivering an event (same payload and signature)."""
        headers = {"Stripe-Signature": delivery.signature or "", "Content-Type": "application/json"}
        answer = await self.http.post(
            f"{self.base_url}/hooks/stripe", content=delivery.payload, headers=headers
        )
        return answer.status_code

    def auth(self, key: str = SECRET_KEY) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}


def _app(site_url: str, state: dict[str, StripeSite]) -> FastAPI:
    app = FastAPI()
    app.include_router(create_router(SECRET_KEY, site_url))

    @app.post("/hooks/stripe")
    async def receive(request: Request) -> Response:
        site = state["site"]
        payload = await request.body()
        signature = request.headers.get("stripe-signature")
        assert site.purchases is not None, "the test did not attach its Purchases"
        try:
            await site.purchases.handle_webhook(payload, signature)
            status = 200
        except ReelcraftError:
            status = 400
        site.deliveries.append(Delivery(payload, signature, status))
        return JSONResponse({"received": status == 200}, status_code=status)

    return app


@asynccontextmanager
async def stripe_site(*, subscribe: bool = True) -> AsyncIterator[StripeSite]:
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on connections accepted from a
    # socket whose proto is TCP; with proto 0, Nagle holds every response body ~40 ms.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    state: dict[str, StripeSite] = {}
    server = _QuietServer(
        uvicorn.Config(_app(base_url, state), log_level="warning", lifespan="off", access_log=False)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.005)
        async with httpx.AsyncClient(timeout=10) as http:
            site = StripeSite(base_url, http, StripeClient(SECRET_KEY, base_url=base_url))
            state["site"] = site
            if subscribe:
                answer = await http.post(
                    f"{base_url}/v1/webhook_endpoints",
                    headers=site.auth(),
                    data={
                        "url": f"{base_url}/hooks/stripe",
                        "enabled_events[0]": "checkout.session.completed",
                        "enabled_events[1]": "checkout.session.expired",
                    },
                )
                assert answer.status_code == 200, answer.text
                site.webhook_secret = answer.json()["secret"]
            try:
                yield site
            finally:
                await site.client.aclose()
    finally:
        server.should_exit = True
        await task
        sock.close()
