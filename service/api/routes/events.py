"""`GET /events`: server-sent events of the caller's job and balance changes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from service.api.auth import Principal, creator
from shared.states import Role

router = APIRouter()

KEEPALIVE_S = 15.0


def _frame(event_type: str, data: object) -> bytes:
    return f"event: {event_type}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


@router.get("/events")
async def events(
    request: Request, who: Annotated[Principal, Depends(creator)]
) -> StreamingResponse:
    ctx = request.app.state.ctx
    everyone = who.has(Role.SUPPORT) and request.query_params.get("all") == "1"

    async def stream() -> AsyncIterator[bytes]:
        async with ctx.bus.subscribe() as queue:
            yield _frame("hello", {"user_id": who.user_id})
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield b": keepalive\n\n"
                    continue
                if everyone or event.user_id == who.user_id:
                    yield _frame(event.type, event.data)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
