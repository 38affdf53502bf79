"""Stripe-Signature verification: a valid HMAC within 300 s, nothing else."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from service.ledger.stripe_webhook import SignatureError, verify

SECRET = "whsec_test_secret"
PAYLOAD = json.dumps({"id": "evt_1", "type": "checkout.session.completed"}).encode()
NOW = 1_800_000_000


def header(timestamp: int, *, secret: str = SECRET, payload: bytes = PAYLOAD) -> str:
    # Computed here, independently of the code under test.
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def test_a_correctly_signed_recent_event_is_accepted() -> None:
    assert verify(PAYLOAD, header(NOW - 299), SECRET, now=NOW)["id"] == "evt_1"


def test_one_matching_signature_among_several_is_enough() -> None:
    rolled = f"{header(NOW, secret='whsec_old')},v1={header(NOW).split('v1=')[1]}"
    assert verify(PAYLOAD, rolled, SECRET, now=NOW)["type"] == "checkout.session.completed"


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        (header(NOW, secret="whsec_other"), "no signature matches"),
        (header(NOW, payload=PAYLOAD + b" "), "no signature matches"),
        (header(NOW - 301), "tolerance"),
        (header(NOW + 301), "tolerance"),
        ("t=abc,v1=00", "malformed"),
        (f"t={NOW}", "no timestamp or no v1"),
        (None, "missing"),
    ],
)
def test_anything_else_is_refused(signature: str | None, reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        verify(PAYLOAD, signature, SECRET, now=NOW)
