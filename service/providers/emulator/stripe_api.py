"""Stripe Checkout, emulated: the REST subset Reelcraft uses, in Stripe's real shapes.

- `POST /v1/checkout/sessions` (form-encoded, bracketed keys; `Idempotency-Key` honoured),
  `GET /v1/checkout/sessions/{id}`, `POST /v1/checkout/sessions/{id}/expire`;
- `POST|GET /v1/webhook_endpoints`, `DELETE /v1/webhook_endpoints/{id}` (the create answer
  carries the endpoint's `whsec_` signing secret, as Stripe's does);
- `GET /v1/events`, `GET /v1/events/{id}`;
- the hosted payment page at the session's `url` (`GET /c/pay/{id}`), whose Pay button
  (`POST`) marks the session paid, delivers `checkout.session.completed` to every subscribed
  endpoint signed with the real `Stripe-Signature` scheme, then redirects to `success_url`.

Auth is the secret key as a bearer token (or HTTP basic user, as Stripe also accepts);
errors are `{"error": {"type", "message", "code"?, "param"?}}` with Stripe's status codes.
Mounted at a prefix, pass the prefixed URL as `public_base_url` so session URLs point back.
The account's behaviour (sessions, validation, events, deliveries) is in stripe_account.py.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from service.providers.emulator.stripe_account import (
    StripeAccount,
    StripeAPIError,
    decode_form,
)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"</head><body><main>{body}</main></body></html>",
        status_code=status,
    )


def create_router(secret_key: str, public_base_url: str) -> APIRouter:
    """The Stripe Checkout subset, with its own in-memory state."""
    stripe = StripeAccount(secret_key=secret_key, base_url=public_base_url.rstrip("/"))

    class StripeRoute(APIRoute):
        """Every API call: the secret key first, and Stripe's error object on failure."""

        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            endpoint = super().get_route_handler()

            async def handler(request: Request) -> Response:
                try:
                    stripe.authenticate(request)
                    return await endpoint(request)
                except StripeAPIError as exc:
                    return exc.response()

            return handler

    api = APIRouter(route_class=StripeRoute)

    @api.post("/v1/checkout/sessions")
    async def create_session(request: Request) -> dict[str, Any]:
        body = await request.body()
        key = request.headers.get("idempotency-key")
        if key is None:
            return stripe.create_session(decode_form(body))
        fingerprint = hashlib.sha256(body).hexdigest()
        if key not in stripe.idempotent:
            stripe.idempotent[key] = (fingerprint, stripe.create_session(decode_form(body)))
        seen, answer = stripe.idempotent[key]
        if seen != fingerprint:
            raise StripeAPIError(
                400,
                "Keys for idempotent requests can only be used with the "
                "same parameters they were first used with.",
                type_="idempotency_error",
            )
        return answer

    @api.get("/v1/checkout/sessions/{session_id}")
    async def get_session(session_id: str) -> dict[str, Any]:
        return stripe.session(session_id)

    @api.post("/v1/checkout/sessions/{session_id}/expire")
    async def expire_session(session_id: str) -> dict[str, Any]:
        return await stripe.expire(session_id)

    @api.post("/v1/webhook_endpoints")
    async def add_endpoint(request: Request) -> dict[str, Any]:
        return stripe.add_endpoint(decode_form(await request.body()))

    @api.get("/v1/webhook_endpoints")
    async def list_endpoints() -> dict[str, Any]:
        data = [{k: v for k, v in e.items() if k != "secret"} for e in stripe.endpoints.values()]
        return {"object": "list", "data": data, "has_more": False, "url": "/v1/webhook_endpoints"}

    @api.delete("/v1/webhook_endpoints/{endpoint_id}")
    async def delete_endpoint(endpoint_id: str) -> dict[str, Any]:
        if stripe.endpoints.pop(endpoint_id, None) is None:
            raise StripeAPIError(
                404,
                f"No such webhook endpoint: '{endpoint_id}'",
                code="resource_missing",
                param="id",
            )
        return {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}

    @api.get("/v1/events")
    async def list_events(type: str | None = None) -> dict[str, Any]:
        data = [e for e in reversed(stripe.events) if type in (None, e["type"])]
        return {
            "object": "list",
            "data": data[:100],
            "has_more": len(data) > 100,
            "url": "/v1/events",
        }

    @api.get("/v1/events/{event_id}")
    async def get_event(event_id: str) -> dict[str, Any]:
        for event in stripe.events:
            if event["id"] == event_id:
                return event
        raise StripeAPIError(
            404, f"No such event: '{event_id}'", code="resource_missing", param="id"
        )

    # The hosted payment page is the buyer's browser talking to Stripe: no API key.
    router = APIRouter(include_in_schema=False)
    router.include_router(api)

    @router.get("/c/pay/{session_id}")
    async def checkout_page(session_id: str) -> Response:
        session = stripe.sessions.get(session_id)
        if session is None:
            return _page("Not found", "<h1>Something went wrong</h1>", 404)
        session = stripe.session(session_id)
        if session["status"] == "expired":
            return _page("Expired", "<h1>This checkout session has expired</h1>", 410)
        if session["status"] == "complete":
            return _page("Paid", "<h1>This checkout session is already paid</h1>")
        lines = "".join(
            f"<li>{html.escape(i['name'])} &times; {i['quantity']}: "
            f"{i['unit_amount'] * i['quantity'] / 100:.2f} {i['currency'].upper()}</li>"
            for i in stripe.items[session_id]
        )
        total = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
        cancel = (
            f"<a href='{html.escape(session['cancel_url'])}'>Cancel</a>"
            if session.get("cancel_url")
            else ""
        )
        return _page(
            "Checkout",
            f"<h1>Pay {total}</h1><ul>{lines}</ul>"
            f"<form method='post'><button type='submit' name='action' value='pay'>"
            f"Pay {total}</button></form>{cancel}",
        )

    @router.post("/c/pay/{session_id}")
    async def checkout_pay(session_id: str) -> Response:
        if session_id not in stripe.sessions:
            return _page("Not found", "<h1>Something went wrong</h1>", 404)
        session = stripe.session(session_id)
        if session["status"] == "expired":
            return _page("Expired", "<h1>This checkout session has expired</h1>", 410)
        if session["status"] == "open":
            await stripe.pay(session)
        target = str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session_id)
        return RedirectResponse(target, status_code=303)

    return router
