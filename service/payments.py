"""Stripe Checkout wiring: which Stripe (the real one, or the emulator's in demo mode) and how
its webhooks reach us. In demo mode the service registers its own webhook endpoint with the
emulator at start-up, so a purchase is credited the moment it is paid."""

from __future__ import annotations

import logging

import httpx

from service.ledger import Ledger
from service.ledger.purchases import Purchases
from service.ledger.stripe_client import StripeClient
from shared.api_schemas import API_PREFIX
from shared.config import Settings
from shared.logging import register_secret

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/stripe"


async def _register_webhook(base_url: str, secret_key: str, target: str) -> str | None:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        response = await http.post(
            "/v1/webhook_endpoints",
            headers={"Authorization": f"Bearer {secret_key}"},
            data={"url": target, "enabled_events[]": "checkout.session.completed"},
        )
    if response.status_code != 200:
        log.warning("could not register the Stripe webhook: HTTP %s", response.status_code)
        return None
    secret = response.json().get("secret")
    return str(secret) if secret else None


async def open_purchases(
    settings: Settings,
    ledger: Ledger,
    public_base_url: str,
    *,
    emulator_url: str | None,
    emulator_key: str | None,
) -> tuple[Purchases | None, StripeClient | None]:
    """Purchases through the configured Stripe; None when no Stripe is configured."""
    if settings.stripe_secret_key is not None:
        key = settings.stripe_secret_key.get_secret_value()
        base = settings.stripe_api_base
        webhook = (
            settings.stripe_webhook_secret.get_secret_value()
            if settings.stripe_webhook_secret
            else None
        )
    elif emulator_url and emulator_key:
        key, base = f"sk_test_{emulator_key}", emulator_url
        target = f"{public_base_url}{API_PREFIX}{WEBHOOK_PATH}"
        webhook = await _register_webhook(base, key, target)
    else:
        return None, None
    register_secret(key)
    register_secret(webhook)
    stripe = StripeClient(key, base_url=base)
    return Purchases(ledger, stripe, webhook_secret=webhook), stripe
