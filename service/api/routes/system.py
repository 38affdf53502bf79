"""Liveness (no auth, no database) and diagnostics for operators and benchmarks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from service.api.auth import Principal, admin

router = APIRouter()


@router.get("/ping")
async def ping() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/diagnostics")
async def diagnostics(
    request: Request, _: Annotated[Principal, Depends(admin)], reset: bool = False
) -> dict[str, Any]:
    ctx = request.app.state.ctx
    snapshot: dict[str, Any] = ctx.loop_monitor.snapshot()
    if reset:
        ctx.loop_monitor.reset()
    snapshot |= {
        "in_flight": ctx.runner.in_flight,
        "event_subscribers": ctx.bus.subscriber_count,
        "demo_mode": ctx.demo_mode,
    }
    return snapshot
