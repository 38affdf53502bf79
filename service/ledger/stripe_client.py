"""The Stripe REST subset the ledger uses: create and retrieve Checkout Sessions.

Stripe's API is form-encoded with bracketed keys (`line_items[0][price_data][currency]`),
authenticated by the secret key as a bearer token, and answers errors as
`{"error": {"type", "code", "message", "param"}}`. Creates carry an `Idempotency-Key`, so a
retry after a lost answer returns the same session instead of opening a second one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from shared.errors import ErrorCode, ReelcraftError
from shared.ledger_schemas import CreditPackage
from shared.logging import register_secret

STRIPE_API = "https://api.stripe.com"
_RETRYABLE = {409, 429, 500, 502, 503, 504}


class StripeError(ReelcraftError):
    def __init__(self, message: str, *, status: int | None = None, **detail: object) -> None:
        super().__init__(
            ErrorCode.PROVIDER_ERROR, f"Stripe: {message}", detail={"status": status, **detail}
        )
        self.status = status


class CheckoutSession(BaseModel):
    """The fields of Stripe's `checkout.session` object the ledger reads."""

    model_config = ConfigDict(extra="ignore")

    id: str
    object: str = "checkout.session"
    mode: str
    status: str | None  # open | complete | expired
    payment_status: str  # unpaid | paid | no_payment_required
    amount_total: int | None
    currency: str | None
    metadata: dict[str, str] = {}
    client_reference_id: str | None = None
    url: str | None = None
    payment_intent: str | None = None
    created: int | None = None
    expires_at: int | None = None


def encode_form(params: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Stripe's form encoding: nested mappings and lists become bracketed keys."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if value is None:
            continue
        if isinstance(value, Mapping):
            pairs += encode_form(value, name)
        elif isinstance(value, list | tuple):
            for i, item in enumerate(value):
                if isinstance(item, Mapping):
                    pairs += encode_form(item, f"{name}[{i}]")
                else:
                    pairs.append((f"{name}[{i}]", _scalar(item)))
        else:
            pairs.append((name, _scalar(value)))
    return pairs


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class StripeClient:
    def __init__(
        self,
        secret_key: str,
        *,
        base_url: str = STRIPE_API,
        timeout_s: float = 20.0,
        attempts: int = 3,
    ) -> None:
        register_secret(secret_key)
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {secret_key}", "Stripe-Version": "2024-06-20"},
            timeout=timeout_s,
        )
        self._attempts = attempts

    async def aclose(self) -> None:
        await self._http.aclose()

    async def create_checkout_session(
        self,
        *,
        package: CreditPackage,
        user_id: str,
        success_url: str,
        cancel_url: str,
        idempotency_key: str,
        metadata: Mapping[str, str],
    ) -> CheckoutSession:
        params = {
            "mode": "payment",
            "client_reference_id": user_id,
            "success_url": success_url,
            "cancel_url": cancel_url,
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": package.currency,
                        "unit_amount": package.price_cents,
                        "product_data": {
                            "name": f"Reelcraft {package.label} credits",
                            "description": f"{package.total_credits:,} video generation credits",
                        },
                    },
                }
            ],
            "metadata": dict(metadata),
        }
        return await self._call(
            "POST",
            "/v1/checkout/sessions",
            form=encode_form(params),
            idempotency_key=idempotency_key,
        )

    async def retrieve_checkout_session(self, session_id: str) -> CheckoutSession:
        return await self._call("GET", f"/v1/checkout/sessions/{session_id}")

    async def _call(
        self,
        method: str,
        path: str,
        *,
        form: list[tuple[str, str]] | None = None,
        idempotency_key: str | None = None,
    ) -> CheckoutSession:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        content = None
        if form is not None:
            # Repeated keys need the pair list encoded as is (httpx's data= wants a mapping).
            content = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        # GETs are safe to repeat; a POST only with its idempotency key.
        retry = method == "GET" or idempotency_key is not None
        for attempt in range(1, self._attempts + 1):
            last = attempt == self._attempts or not retry
            try:
                response = await self._http.request(method, path, content=content, headers=headers)
            except httpx.TransportError as exc:
                if last:
                    raise StripeError(f"unreachable ({type(exc).__name__})") from None
                await asyncio.sleep(0.2 * 2**attempt)
                continue
            if response.status_code in _RETRYABLE and not last:
                await asyncio.sleep(0.2 * 2**attempt)
                continue
            return self._session(response)
        raise AssertionError("unreachable")

    @staticmethod
    def _session(response: httpx.Response) -> CheckoutSession:
        try:
            body = response.json()
        except ValueError:
            raise StripeError(
                f"HTTP {response.status_code} with a non-JSON body", status=response.status_code
            ) from None
        if response.status_code >= 400:
            error = body.get("error", {}) if isinstance(body, dict) else {}
            raise StripeError(
                str(error.get("message") or f"HTTP {response.status_code}"),
                status=response.status_code,
                type=error.get("type"),
                code=error.get("code"),
            )
        try:
            return CheckoutSession.model_validate(body)
        except ValidationError as exc:
            raise StripeError(
                f"unexpected checkout session shape: {exc.errors()[0]['msg']}",
                status=response.status_code,
            ) from None
