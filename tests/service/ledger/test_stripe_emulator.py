"""The Stripe Checkout emulator speaks Stripe's REST shapes, and the ledger's Stripe client
speaks them back: form-encoded bodies with bracketed keys, bearer keys, idempotency keys,
Stripe's error objects."""

from __future__ import annotations

import pytest

from service.ledger.packages import shipped_packages
from service.ledger.stripe_client import StripeClient, StripeError, encode_form
from service.providers.emulator.stripe_account import decode_form
from tests.service.ledger.stripe_site import stripe_site

SESSION = {
    "mode": "payment",
    "success_url": "https://studio.example/ok?session={CHECKOUT_SESSION_ID}",
    "line_items": [
        {
            "quantity": 1,
            "price_data": {
                "currency": "usd",
                "unit_amount": 999,
                "product_data": {"name": "Starter credits", "description": "2,000 credits"},
            },
        }
    ],
    "metadata": {"reelcraft_user": "ana"},
}


def test_the_client_form_encoding_is_what_the_emulator_decodes() -> None:
    pairs = encode_form({**SESSION, "payment_method_types": ["card"], "flag": True})
    assert ("line_items[0][price_data][product_data][name]", "Starter credits") in pairs
    assert ("payment_method_types[0]", "card") in pairs
    from urllib.parse import urlencode

    decoded = decode_form(urlencode(pairs).encode())
    assert decoded["line_items"][0]["price_data"]["unit_amount"] == "999"
    assert decoded["payment_method_types"] == ["card"]
    assert decoded["metadata"] == {"reelcraft_user": "ana"}
    assert decode_form(b"enabled_events[]=a&enabled_events[]=b")["enabled_events"] == ["a", "b"]


async def test_requests_without_the_secret_key_get_stripe_errors() -> None:
    async with stripe_site(subscribe=False) as site:
        url = f"{site.base_url}/v1/checkout/sessions"
        missing = await site.http.post(url, data={"mode": "payment"})
        wrong = await site.http.post(
            url, data={"mode": "payment"}, headers=site.auth("sk_test_not_the_key_9999")
        )
        for answer in (missing, wrong):
            assert answer.status_code == 401
            assert answer.json()["error"]["type"] == "invalid_request_error"
        assert "sk_test_" in wrong.json()["error"]["message"]
        assert "not_the_key" not in wrong.json()["error"]["message"]

        client = StripeClient("sk_test_not_the_key_9999", base_url=site.base_url)
        try:
            with pytest.raises(StripeError, match="Invalid API Key") as refused:
                await client.retrieve_checkout_session("cs_test_x")
            assert refused.value.status == 401
        finally:
            await client.aclose()


async def test_invalid_sessions_are_refused_with_the_offending_param() -> None:
    async with stripe_site(subscribe=False) as site:
        url = f"{site.base_url}/v1/checkout/sessions"
        no_items = await site.http.post(
            url, headers=site.auth(), data={"mode": "payment", "success_url": "https://x/ok"}
        )
        assert no_items.status_code == 400
        assert no_items.json()["error"]["param"] == "line_items"
        pairs = encode_form(
            {
                **SESSION,
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "usd",
                            "unit_amount": 10,
                            "product_data": {"name": "tiny"},
                        },
                    }
                ],
            }
        )
        tiny = await site.http.post(url, headers=site.auth(), data=dict(pairs))
        assert tiny.json()["error"]["code"] == "amount_too_small"
        missing = await site.http.get(f"{url}/cs_test_nope", headers=site.auth())
        assert (missing.status_code, missing.json()["error"]["code"]) == (404, "resource_missing")


async def test_an_idempotency_key_returns_the_same_session_and_guards_its_parameters() -> None:
    async with stripe_site(subscribe=False) as site:
        url = f"{site.base_url}/v1/checkout/sessions"
        headers = {**site.auth(), "Idempotency-Key": "purchase-42"}
        first = await site.http.post(url, headers=headers, data=dict(encode_form(SESSION)))
        again = await site.http.post(url, headers=headers, data=dict(encode_form(SESSION)))
        assert first.status_code == 200
        assert again.json()["id"] == first.json()["id"]
        changed = {**SESSION, "metadata": {"reelcraft_user": "bob"}}
        other = await site.http.post(url, headers=headers, data=dict(encode_form(changed)))
        assert (other.status_code, other.json()["error"]["type"]) == (400, "idempotency_error")


async def test_a_session_reads_back_as_stripe_shapes_it() -> None:
    async with stripe_site(subscribe=False) as site:
        package = shipped_packages().get("pro")
        created = await site.client.create_checkout_session(
            package=package,
            user_id="ana",
            success_url="https://studio.example/ok",
            cancel_url="https://studio.example/no",
            idempotency_key="k1",
            metadata={"reelcraft_user": "ana"},
        )
        assert created.id.startswith("cs_test_")
        assert (created.status, created.payment_status) == ("open", "unpaid")
        assert (created.amount_total, created.currency) == (4799, "usd")
        assert created.url is not None
        page = await site.http.get(created.url)
        assert "Pay 47.99 USD" in page.text
        await site.pay(created.url)
        paid = await site.client.retrieve_checkout_session(created.id)
        assert (paid.status, paid.payment_status) == ("complete", "paid")
        assert paid.payment_intent and paid.payment_intent.startswith("pi_")
        events = await site.http.get(f"{site.base_url}/v1/events", headers=site.auth())
        assert [e["type"] for e in events.json()["data"]] == ["checkout.session.completed"]
