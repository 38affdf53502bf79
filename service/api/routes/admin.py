"""Admin: run-time configuration (kill switch, limits, enabled models and routes, retries)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from service.api.auth import Principal, admin
from service.config.dynamic import RuntimeConfig
from shared.errors import ErrorCode, ReelcraftError

router = APIRouter(prefix="/admin")


@router.get("/config", response_model=RuntimeConfig)
async def get_config(request: Request, _: Annotated[Principal, Depends(admin)]) -> RuntimeConfig:
    config: RuntimeConfig = await request.app.state.ctx.config.get()
    return config


@router.patch("/config", response_model=RuntimeConfig)
async def update_config(
    request: Request, changes: dict[str, Any], who: Annotated[Principal, Depends(admin)]
) -> RuntimeConfig:
    """Change some settings; the rest stay. Unknown keys or bad values are invalid input."""
    ctx = request.app.state.ctx
    if ctx.catalogue.price_books.get(changes.get("price_book", "default")) is None:
        raise ReelcraftError(ErrorCode.INVALID_INPUT, "unknown price book")
    config: RuntimeConfig = await ctx.config.set(who.user_id, **changes)
    return config
