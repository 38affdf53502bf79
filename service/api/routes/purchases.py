"""Buying credits: packages, a Stripe Checkout per purchase, confirmation and webhooks.

A purchase is credited exactly once however it is confirmed: by Stripe's webhook, by the
buyer's browser landing on the success page, or by the app asking for its status.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.responses import HTMLResponse

from service.api.auth import Principal, creator
from service.api.errors import forbidden, not_found
from service.ledger.purchases import Purchases
from shared.api_schemas import API_PREFIX
from shared.errors import ErrorCode, ReelcraftError
from shared.ledger_schemas import CreditPackage, Purchase, PurchaseRequest

router = APIRouter()

SessionId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_]{1,200}$")]


def _purchases(request: Request) -> Purchases:
    purchases: Purchases | None = request.app.state.ctx.purchases
    if purchases is None:
        raise ReelcraftError(
            ErrorCode.GENERATION_DISABLED, "buying credits is not configured on this service"
        )
    return purchases


@router.get("/credits/packages", response_model=list[CreditPackage])
async def packages(
    request: Request, _: Annotated[Principal, Depends(creator)]
) -> list[CreditPackage]:
    return list(_purchases(request).packages.packages)


@router.post("/credits/checkout", response_model=Purchase, status_code=201)
async def checkout(
    request: Request, body: PurchaseRequest, who: Annotated[Principal, Depends(creator)]
) -> Purchase:
    ctx = request.app.state.ctx
    done = f"{ctx.public_base_url}{API_PREFIX}/credits/checkout/complete"
    return await _purchases(request).start(
        who.user_id,
        body.package,
        success_url=body.success_url or f"{done}?session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=body.cancel_url or f"{done}?cancelled=1",
    )


@router.get("/credits/purchases/{session_id}", response_model=Purchase)
async def purchase(
    request: Request, session_id: SessionId, who: Annotated[Principal, Depends(creator)]
) -> Purchase:
    purchases = _purchases(request)
    known = await purchases.get(session_id)
    if known.user_id != who.user_id:
        raise forbidden("not your purchase")
    confirmed = await purchases.confirm(session_id)
    await request.app.state.ctx.credits.announce(who.user_id)
    return confirmed


@router.get("/credits/checkout/complete", response_class=HTMLResponse)
async def checkout_complete(
    request: Request, session_id: str | None = None, cancelled: int = 0
) -> HTMLResponse:
    """Where Stripe sends the buyer's browser back. Needs no token: it only asks Stripe, and
    credits only what Stripe says is paid."""
    if cancelled or session_id is None:
        return _page("Checkout cancelled", "No payment was taken. You can close this tab.")
    try:
        purchase = await _purchases(request).confirm(session_id)
    except ReelcraftError:
        raise not_found("checkout session") from None
    await request.app.state.ctx.credits.announce(purchase.user_id)
    if purchase.status.value != "paid":
        return _page("Payment pending", "We'll add your credits as soon as it completes.")
    return _page(
        "Payment received",
        f"{purchase.credits:,} credits were added. You can close this tab and return to Reelcraft.",
    )


@router.post("/webhooks/stripe", status_code=200)
async def stripe_webhook(
    request: Request, stripe_signature: Annotated[str | None, Header()] = None
) -> dict[str, bool]:
    purchase = await _purchases(request).handle_webhook(await request.body(), stripe_signature)
    if purchase is not None:
        await request.app.state.ctx.credits.announce(purchase.user_id)
    return {"received": True}


def _page(title: str, message: str) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><meta charset=utf-8><title>Reelcraft</title>"
        "<body style='font-family:sans-serif;background:#111318;color:#eee;"
        "display:grid;place-items:center;height:90vh'><div style='text-align:center'>"
        f"<h1>{title}</h1><p>{message}</p></div></body>"
    )
