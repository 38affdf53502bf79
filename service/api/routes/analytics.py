"""Tracking events from the UI, stored locally (SPEC 8)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from service.api.auth import Principal, creator
from service.storage.db import writing
from service.storage.tables import AnalyticsEventRow
from shared.api_schemas import TrackingEvent

router = APIRouter()


@router.post("/analytics/events", status_code=204)
async def track(
    request: Request, event: TrackingEvent, who: Annotated[Principal, Depends(creator)]
) -> None:
    ctx = request.app.state.ctx
    data = {k: v for k, v in event.data.items() if k.lower() not in {"prompt", "prompttext"}}
    async with writing(ctx.sessions) as session:
        session.add(AnalyticsEventRow(name=event.name, user_id=who.user_id, data=data))
