"""Generations: create (idempotent), list, read, timeline, act, and stream the video."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from service.api.auth import Principal, creator
from service.api.errors import not_found
from service.jobs import records
from shared.api_schemas import GenerationEvent, GenerationPage
from shared.errors import ErrorCode, ReelcraftError
from shared.schemas import Generation, GenerationRequest
from shared.states import JobState, PostState, Role

router = APIRouter(prefix="/generations")

Creator = Annotated[Principal, Depends(creator)]


def _scope(who: Principal, user: str | None = None) -> str | None:
    """Whose generations a request sees: the caller's own by default; support (and admins)
    may name any user, or `*` for everyone's. None means no user filter."""
    if user is None or user == who.user_id:
        return who.user_id
    if not who.has(Role.SUPPORT):
        raise ReelcraftError(ErrorCode.INVALID_INPUT, "not your generation", detail={"status": 403})
    return None if user == "*" else user


def _any_user(who: Principal) -> str | None:
    """Reading one generation by id: support may open anyone's (SPEC 1)."""
    return None if who.has(Role.SUPPORT) else who.user_id


def _idempotent_request(body: GenerationRequest, key: str | None) -> GenerationRequest:
    if key is None:
        return body
    try:
        request_id = uuid.UUID(key)
    except ValueError:
        request_id = uuid.uuid5(uuid.NAMESPACE_URL, f"idempotency:{key}")
    return body.model_copy(update={"client_request_id": request_id})


@router.post("", response_model=Generation, status_code=201)
async def create(
    request: Request,
    body: GenerationRequest,
    who: Creator,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    ctx = request.app.state.ctx
    generation, created = await ctx.jobs.accept(
        who.user_id, _idempotent_request(body, idempotency_key)
    )
    return JSONResponse(generation.model_dump(mode="json"), status_code=201 if created else 200)


@router.get("", response_model=GenerationPage)
async def list_generations(
    request: Request,
    who: Creator,
    state: Annotated[list[JobState] | None, Query()] = None,
    post_state: Annotated[list[PostState] | None, Query()] = None,
    model: str | None = None,
    user: str | None = None,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> GenerationPage:
    ctx = request.app.state.ctx
    async with ctx.sessions() as session:
        page: GenerationPage = await records.page(
            session,
            user_id=_scope(who, user),
            states=state,
            post_states=post_state,
            model=model,
            cursor=cursor,
            limit=limit,
        )
        return page


@router.get("/{generation_id}", response_model=Generation)
async def get_generation(request: Request, generation_id: uuid.UUID, who: Creator) -> Generation:
    generation: Generation = await request.app.state.ctx.jobs.get(
        _any_user(who), str(generation_id)
    )
    return generation


@router.get("/{generation_id}/events", response_model=list[GenerationEvent])
async def generation_timeline(
    request: Request, generation_id: uuid.UUID, who: Creator
) -> list[GenerationEvent]:
    ctx = request.app.state.ctx
    await ctx.jobs.get(_any_user(who), str(generation_id))
    async with ctx.sessions() as session:
        return await records.timeline(session, str(generation_id))


@router.post("/{generation_id}/cancel", response_model=Generation)
async def cancel(request: Request, generation_id: uuid.UUID, who: Creator) -> Generation:
    generation: Generation = await request.app.state.ctx.jobs.cancel(
        _any_user(who), str(generation_id)
    )
    return generation


@router.post("/{generation_id}/regenerate", response_model=Generation, status_code=201)
async def regenerate(
    request: Request,
    generation_id: uuid.UUID,
    who: Creator,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    key = idempotency_key or str(uuid.uuid4())
    generation, created = await request.app.state.ctx.jobs.regenerate(
        who.user_id, str(generation_id), key
    )
    return JSONResponse(generation.model_dump(mode="json"), status_code=201 if created else 200)


@router.post("/{generation_id}/discard", response_model=Generation)
async def discard(request: Request, generation_id: uuid.UUID, who: Creator) -> Generation:
    generation: Generation = await request.app.state.ctx.jobs.discard(
        _any_user(who), str(generation_id)
    )
    return generation


@router.post("/{generation_id}/publish", response_model=Generation)
async def publish(request: Request, generation_id: uuid.UUID, who: Creator) -> Generation:
    generation: Generation = await request.app.state.ctx.jobs.publish(
        _any_user(who), str(generation_id)
    )
    return generation


@router.get("/{generation_id}/video")
async def video(request: Request, generation_id: uuid.UUID, who: Creator) -> Response:
    ctx = request.app.state.ctx
    generation = await ctx.jobs.get(_any_user(who), str(generation_id))
    if generation.media_sha256 is None:
        raise not_found("video (the generation is not ready)")
    response: Response = await ctx.media_api.serve_video(request, generation.media_sha256)
    return response


@router.get("/{generation_id}/thumbnail")
async def thumbnail(
    request: Request,
    generation_id: uuid.UUID,
    who: Creator,
    size: Annotated[str, Query(pattern="^(large|small)$")] = "large",
) -> Response:
    ctx = request.app.state.ctx
    generation = await ctx.jobs.get(_any_user(who), str(generation_id))
    if generation.media_sha256 is None:
        raise not_found("thumbnail (the generation is not ready)")
    response: Response = await ctx.media_api.serve_thumbnail(request, generation.media_sha256, size)
    return response
