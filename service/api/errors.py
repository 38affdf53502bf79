"""Every error leaves the API as an ErrorBody with a code from the contract, never a trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import ErrorCode, ReelcraftError
from shared.schemas import ErrorBody

log = logging.getLogger(__name__)

STATUS_BY_CODE: dict[ErrorCode, int] = {
    ErrorCode.INSUFFICIENT_CREDITS: 402,
    ErrorCode.CONCURRENCY_LIMIT: 429,
    ErrorCode.DAILY_LIMIT: 429,
    ErrorCode.GENERATION_DISABLED: 503,
    ErrorCode.MODEL_UNAVAILABLE: 409,
    ErrorCode.INVALID_INPUT: 422,
    ErrorCode.CONTENT_POLICY: 422,
    ErrorCode.PROVIDER_RATE_LIMITED: 503,
    ErrorCode.PROVIDER_ERROR: 502,
    ErrorCode.PROVIDER_TIMEOUT: 504,
    ErrorCode.DOWNLOAD_FAILED: 502,
    ErrorCode.CANCELLED: 409,
    ErrorCode.INTERNAL: 500,
}


def error_response(
    code: ErrorCode,
    message: str,
    status: int | None = None,
    detail: dict[str, object] | None = None,
) -> JSONResponse:
    body = ErrorBody(code=code, message=message, detail=detail or {})
    return JSONResponse(body.model_dump(mode="json"), status_code=status or STATUS_BY_CODE[code])


def not_found(what: str) -> ReelcraftError:
    return ReelcraftError(ErrorCode.INVALID_INPUT, f"{what} not found", detail={"status": 404})


def forbidden(message: str) -> ReelcraftError:
    return ReelcraftError(ErrorCode.INVALID_INPUT, message, detail={"status": 403})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ReelcraftError)
    async def _reelcraft(_: Request, exc: ReelcraftError) -> JSONResponse:
        detail = dict(exc.detail)
        status = detail.pop("status", None)
        return error_response(
            exc.code, exc.message, status if isinstance(status, int) else None, detail
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            problems.append(f"{where}: {err.get('msg', 'invalid')}" if where else err["msg"])
        return error_response(ErrorCode.INVALID_INPUT, "; ".join(problems) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = ErrorCode.INTERNAL if exc.status_code >= 500 else ErrorCode.INVALID_INPUT
        return error_response(code, str(exc.detail), exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error in a request")
        return error_response(ErrorCode.INTERNAL, "internal error; see the service log")
