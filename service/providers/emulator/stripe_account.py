"""The emulated Stripe account behind stripe_api.py: Checkout Sessions, webhook endpoints,
events and their signed deliveries, with Stripe's validation rules and error objects."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import ssl
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import certifi
import httpx
from fastapi import Request
from fastapi.responses import JSONResponse

API_VERSION = "2024-06-20"
SESSION_TTL_S = 24 * 3600
_MIN_AMOUNT = {"usd": 50, "eur": 50, "gbp": 30}


class StripeAPIError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"type": type_, "message": message}
        if code:
            self.body["code"] = code
        if param:
            self.body["param"] = param

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.body}, status_code=self.status)


def decode_form(body: bytes) -> dict[str, Any]:
    """Stripe-style form decoding: `a[b][0][c]=v` -> {"a": {"b": [{"c": "v"}]}}."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        parts = key.replace("]", "").split("[")  # "a[b][]" -> ["a", "b", ""]
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part or str(len(node)), {})
            if not isinstance(child, dict):
                raise StripeAPIError(400, f"Invalid value for {key}.", param=key)
            node = child
        last = parts[-1] or str(len(node))
        if isinstance(node.get(last), dict):
            raise StripeAPIError(400, f"Invalid value for {key}.", param=key)
        node[last] = value
    decoded: dict[str, Any] = _lists(root)
    return decoded


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {k: _lists(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(24).replace('-', 'a').replace('_', 'b')}"


def _int(value: Any, param: str, minimum: int = 0) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise StripeAPIError(400, f"Invalid integer: {value}", param=param) from None
    if number < minimum:
        raise StripeAPIError(400, f"{param} must be at least {minimum}.", param=param)
    return number


def _line_items(params: dict[str, Any]) -> tuple[list[dict[str, Any]], str, int]:
    items = params.get("line_items")
    if not isinstance(items, list) or not items:
        raise StripeAPIError(400, "Missing required param: line_items.", param="line_items")
    out, currency, total = [], None, 0
    for i, item in enumerate(items):
        where = f"line_items[{i}]"
        if not isinstance(item, dict):
            raise StripeAPIError(400, f"Invalid {where}.", param=where)
        quantity = _int(item.get("quantity"), f"{where}[quantity]", 1)
        price = item.get("price_data")
        if item.get("price"):
            raise StripeAPIError(
                400,
                f"No such price: '{item['price']}'",
                code="resource_missing",
                param=f"{where}[price]",
            )
        if not isinstance(price, dict):
            raise StripeAPIError(
                400, f"Missing required param: {where}[price_data].", param=f"{where}[price_data]"
            )
        cur = str(price.get("currency", "")).lower()
        if len(cur) != 3:
            raise StripeAPIError(
                400,
                f"Missing required param: {where}[price_data][currency].",
                param=f"{where}[price_data][currency]",
            )
        if currency not in (None, cur):
            raise StripeAPIError(400, "All line items must use the same currency.")
        currency = cur
        unit = _int(price.get("unit_amount"), f"{where}[price_data][unit_amount]")
        product = price.get("product_data")
        if not isinstance(product, dict) or not product.get("name"):
            raise StripeAPIError(
                400,
                f"Missing required param: {where}[price_data][product_data][name].",
                param=f"{where}[price_data][product_data][name]",
            )
        total += unit * quantity
        out.append(
            {
                "quantity": quantity,
                "currency": cur,
                "unit_amount": unit,
                "name": str(product["name"]),
                "description": str(product.get("description", "")),
            }
        )
    assert currency is not None
    return out, currency, total


def _metadata(params: dict[str, Any]) -> dict[str, str]:
    raw = params.get("metadata", {})
    if raw == "":
        return {}
    if not isinstance(raw, dict):
        raise StripeAPIError(400, "Invalid object", param="metadata")
    if len(raw) > 50:
        raise StripeAPIError(400, "Metadata can have up to 50 keys.", param="metadata")
    for key, value in raw.items():
        if len(key) > 40 or not isinstance(value, str) or len(value) > 500:
            raise StripeAPIError(400, f"Invalid metadata[{key}].", param=f"metadata[{key}]")
    return dict(raw)


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """The Stripe-Signature header value for a payload (written apart from the verifier)."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


@dataclass
class StripeAccount:
    secret_key: str
    base_url: str
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    idempotent: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    # Built once: loading the CA bundle for every delivery costs tens of milliseconds.
    tls: ssl.SSLContext = field(
        default_factory=lambda: ssl.create_default_context(cafile=certifi.where())
    )

    def authenticate(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, credential = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                credential = base64.b64decode(credential).decode().partition(":")[0]
            except (ValueError, UnicodeDecodeError):
                credential = ""
        elif scheme.lower() != "bearer":
            credential = ""
        if not credential:
            raise StripeAPIError(
                401,
                "You did not provide an API key. You need to provide "
                "your API key in the Authorization header.",
            )
        if not hmac.compare_digest(credential, self.secret_key):
            shown = f"{credential[:8]}****{credential[-4:]}" if len(credential) > 12 else "****"
            raise StripeAPIError(401, f"Invalid API Key provided: {shown}", code="api_key_invalid")

    def session(self, session_id: str) -> dict[str, Any]:
        found = self.sessions.get(session_id)
        if found is None:
            raise StripeAPIError(
                404,
                f"No such checkout.session: '{session_id}'",
                code="resource_missing",
                param="id",
            )
        if found["status"] == "open" and time.time() >= found["expires_at"]:
            self._expire(found)
        return found

    def create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        mode = params.get("mode")
        if mode is None:
            raise StripeAPIError(400, "Missing required param: mode.", param="mode")
        if mode != "payment":
            raise StripeAPIError(
                400, f"This emulator supports mode=payment, not {mode}.", param="mode"
            )
        success_url = params.get("success_url")
        if not isinstance(success_url, str) or not success_url.startswith(("http://", "https://")):
            raise StripeAPIError(400, "Missing required param: success_url.", param="success_url")
        items, currency, total = _line_items(params)
        if total < _MIN_AMOUNT.get(currency, 1):
            raise StripeAPIError(
                400,
                "The Checkout Session's total amount due must add up to at least $0.50 usd",
                code="amount_too_small",
            )
        now = int(time.time())
        expires_at = _int(params.get("expires_at", now + SESSION_TTL_S), "expires_at", now)
        session_id = _new_id("cs_test")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "payment",
            "amount_subtotal": total,
            "amount_total": total,
            "currency": currency,
            "cancel_url": params.get("cancel_url"),
            "success_url": success_url,
            "client_reference_id": params.get("client_reference_id"),
            "customer_email": params.get("customer_email"),
            "created": now,
            "expires_at": min(expires_at, now + SESSION_TTL_S),
            "livemode": False,
            "metadata": _metadata(params),
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "url": f"{self.base_url}/c/pay/{session_id}",
        }
        self.sessions[session_id] = session
        self.items[session_id] = items
        return session

    def _expire(self, session: dict[str, Any]) -> None:
        session.update(status="expired", url=None)

    async def expire(self, session_id: str) -> dict[str, Any]:
        session = self.session(session_id)
        if session["status"] != "open":
            raise StripeAPIError(
                400,
                f'Only Checkout Sessions with a status in ["open"] can '
                f"be expired. This Checkout Session has a status of "
                f'"{session["status"]}".',
                code="checkout_session_not_open",
            )
        self._expire(session)
        await self.emit("checkout.session.expired", session)
        return session

    async def pay(self, session: dict[str, Any]) -> None:
        session.update(
            status="complete", payment_status="paid", url=None, payment_intent=_new_id("pi")
        )
        await self.emit("checkout.session.completed", session)

    async def emit(self, kind: str, obj: dict[str, Any]) -> None:
        targets = [
            e
            for e in self.endpoints.values()
            if "*" in e["enabled_events"] or kind in e["enabled_events"]
        ]
        event: dict[str, Any] = {
            "id": _new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),
            "data": {"object": dict(obj)},
            "livemode": False,
            "pending_webhooks": len(targets),
            "request": {"id": None, "idempotency_key": None},
            "type": kind,
        }
        self.events.append(event)
        payload = json.dumps(event).encode()
        async with httpx.AsyncClient(timeout=10.0, verify=self.tls) as client:
            for endpoint in targets:
                headers = {
                    "Content-Type": "application/json; charset=utf-8",
                    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                    "Stripe-Signature": sign(payload, endpoint["secret"], int(time.time())),
                }
                try:
                    answer = await client.post(endpoint["url"], content=payload, headers=headers)
                    delivered = answer.is_success
                except httpx.HTTPError:
                    delivered = False
                if delivered:
                    event["pending_webhooks"] -= 1

    def add_endpoint(self, params: dict[str, Any]) -> dict[str, Any]:
        url = params.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise StripeAPIError(400, "Missing required param: url.", param="url")
        events = params.get("enabled_events")
        if not isinstance(events, list) or not events:
            raise StripeAPIError(
                400, "Missing required param: enabled_events.", param="enabled_events"
            )
        endpoint: dict[str, Any] = {
            "id": _new_id("we"),
            "object": "webhook_endpoint",
            "url": url,
            "enabled_events": [str(e) for e in events],
            "status": "enabled",
            "api_version": API_VERSION,
            "created": int(time.time()),
            "description": params.get("description"),
            "livemode": False,
            "metadata": _metadata(params),
            "secret": f"whsec_{secrets.token_hex(24)}",
        }
        self.endpoints[endpoint["id"]] = endpoint
        return endpoint
