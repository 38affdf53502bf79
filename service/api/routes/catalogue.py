"""Health, the model catalogue with live availability, and quotes."""

from __future__ import annotations

import os
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from service.api.auth import Principal, authenticate, creator
from shared.api_schemas import Health, ModelsResponse, QuoteBody
from shared.listing import model_listings
from shared.schemas import Quote

router = APIRouter()


@router.get("/health", response_model=Health)
async def health(request: Request, who: Annotated[Principal, Depends(authenticate)]) -> Health:
    ctx = request.app.state.ctx
    return Health(
        version=ctx.version,
        demo_mode=ctx.demo_mode,
        user_id=who.user_id,
        roles=sorted(r.value for r in who.roles),
        pid=os.getpid(),
    )


@router.get("/models", response_model=ModelsResponse)
async def models(
    request: Request,
    _: Annotated[Principal, Depends(creator)],
    price_book: str | None = None,
) -> ModelsResponse:
    ctx = request.app.state.ctx
    cfg = await ctx.config.get()
    book = ctx.catalogue.price_book(price_book or cfg.price_book)
    down = {
        model: ctx.jobs.unavailable_routes(model, cfg.disabled_routes)
        for model in ctx.catalogue.models
    }
    listings = model_listings(
        ctx.catalogue,
        book.id,
        unavailable_routes=down,
        estimated_render_s=await ctx.estimates.all(),
    )
    for listing in listings:
        blocked = ctx.jobs.blocked_reason(listing.model, cfg)
        if blocked is not None:
            for price in listing.prices:
                price.available, price.route, price.unavailable_reason = False, None, blocked
    return ModelsResponse(
        price_book=book.id,
        price_book_version=book.version,
        catalogue_version=ctx.catalogue.version,
        default_model=book.default_model,
        default_duration=book.default_duration,
        generation_enabled=cfg.generation_enabled,
        models=listings,
    )


@router.post("/quotes", response_model=Quote)
async def quotes(
    request: Request, body: QuoteBody, _: Annotated[Principal, Depends(creator)]
) -> Quote:
    ctx = request.app.state.ctx
    q: Quote = await ctx.jobs.live_quote(
        body.model, body.duration_s, body.resolution, body.price_book
    )
    return q
