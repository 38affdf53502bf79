"""Buying credits through the service: Stripe Checkout (the emulator's, in demo mode), paid in
the "browser", credited exactly once however often it is confirmed."""

from __future__ import annotations

import re

import httpx

from tests.service.jobs.conftest import Studio
from tests.support.service import ServiceProcess


def test_a_paid_checkout_is_credited_once(
    service: ServiceProcess, studio: Studio, api: httpx.Client
) -> None:
    packages = {p["id"]: p for p in api.get("/credits/packages").json()}
    assert set(packages) == {"starter", "standard", "pro", "enterprise"}
    pro = packages["pro"]
    assert pro["total_credits"] == 11_000 and pro["price_cents"] == 4799
    before = studio.balance()["available"]

    started = api.post("/credits/checkout", json={"package": "pro"})
    assert started.status_code == 201, started.text
    purchase = started.json()
    assert purchase["status"] == "open" and purchase["checkout_url"]

    with httpx.Client(follow_redirects=True, timeout=30) as browser:
        page = browser.get(purchase["checkout_url"])
        assert page.status_code == 200
        action = re.search(r'<form[^>]*action="([^"]+)"', page.text)
        pay_url = httpx.URL(purchase["checkout_url"]).join(action.group(1) if action else "")
        landed = browser.post(pay_url)
        assert landed.status_code == 200
        assert "Payment received" in landed.text and "11,000 credits" in landed.text

    assert studio.balance()["available"] == before + 11_000
    for _ in range(2):  # confirming again (the app polling) credits nothing more
        again = api.get(f"/credits/purchases/{purchase['checkout_session_id']}")
        assert again.status_code == 200 and again.json()["status"] == "paid"
    assert studio.balance()["available"] == before + 11_000
    entries = api.get("/credits/statement").json()["entries"]
    assert [e["source"] for e in entries].count("credit_purchase") == 1


def test_an_unknown_package_is_invalid_input(api: httpx.Client) -> None:
    response = api.post("/credits/checkout", json={"package": "platinum"})
    assert response.status_code == 422 and response.json()["code"] == "invalid_input"
