"""Character images: upload (validated, normalised, stored by hash), list, fetch.

Providers that take an image URL get a signed, expiring URL to `/public/inputs/...`, which
needs no bearer token (the provider has none) but is useless without its signature.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from service.api.auth import Principal, creator
from service.api.errors import forbidden
from shared.errors import ErrorCode, ReelcraftError
from shared.media_schemas import SHA256_PATTERN, InputImage

router = APIRouter()

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
Sha256 = Annotated[str, Path(pattern=SHA256_PATTERN)]


@router.post("/inputs", response_model=InputImage, status_code=201)
async def upload_input(
    request: Request,
    _: Annotated[Principal, Depends(creator)],
    x_filename: Annotated[str | None, Header(max_length=255)] = None,
) -> InputImage:
    ctx = request.app.state.ctx
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > MAX_UPLOAD_BYTES:
            raise ReelcraftError(
                ErrorCode.INVALID_INPUT,
                f"the image is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB",
                detail={"status": 413},
            )
    image: InputImage = await ctx.media_api.ingest_input(bytes(data), x_filename)
    return image


@router.get("/inputs", response_model=list[InputImage])
async def list_inputs(
    request: Request,
    _: Annotated[Principal, Depends(creator)],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[InputImage]:
    images: list[InputImage] = await request.app.state.ctx.media_api.list_inputs(limit)
    return images


@router.get("/inputs/{sha256}")
async def input_image(
    request: Request, sha256: Sha256, _: Annotated[Principal, Depends(creator)]
) -> Response:
    response: Response = await request.app.state.ctx.media_api.serve_input(request, sha256)
    return response


@router.get("/public/inputs/{sha256}")
async def public_input_image(
    request: Request,
    sha256: Sha256,
    exp: int,
    sig: Annotated[str, Query(pattern=r"^[0-9a-f]{64}$")],
) -> Response:
    ctx = request.app.state.ctx
    if not ctx.input_signer.verify(sha256, exp, sig):
        raise forbidden("this image link is invalid or has expired")
    response: Response = await ctx.media_api.serve_input(request, sha256)
    return response
