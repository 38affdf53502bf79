"""The FastAPI application: routers under `/api/v1`, error handlers, OpenAPI."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from service.api.errors import install_error_handlers
from service.api.routes import admin, analytics, catalogue, events, generations, inputs, system
from shared.api_schemas import API_PREFIX


def create_app(ctx: Any, *, extra_routers: list[Any] | None = None) -> FastAPI:
    """`ctx` is the running ServiceContext (kept on app.state for the routes)."""
    app = FastAPI(
        title="Reelcraft service",
        version=ctx.version,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.ctx = ctx
    install_error_handlers(app)
    for module in (system, catalogue, inputs, generations, events, analytics, admin):
        app.include_router(module.router, prefix=API_PREFIX)
    for router in extra_routers or []:
        app.include_router(router, prefix=API_PREFIX)
    return app
