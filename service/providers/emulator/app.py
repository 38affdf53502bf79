"""The emulator as one ASGI app: every provider at its real paths, on one port.

Order matters: specific routes first, fal's catch-all `POST /{owner}/{app}/...` last, so it
never swallows another provider's submit.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from service.providers.emulator import (
    control,
    fal,
    files,
    gemini,
    kie,
    kling,
    pollo,
    render,
    runway,
)
from service.providers.emulator.core import EmulatorConfig, EmulatorState

_STRIPE_MODULE = "service.providers.emulator.stripe_api"


def _stripe_router(config: EmulatorConfig) -> APIRouter | None:
    """The Stripe Checkout subset, owned by the ledger work, if that module is present."""
    if importlib.util.find_spec(_STRIPE_MODULE) is None:
        return None
    module = importlib.import_module(_STRIPE_MODULE)
    factory = getattr(module, "create_router", None)
    if factory is not None:
        params = inspect.signature(factory).parameters
        kwargs = {"secret_key": config.stripe_secret_key, "public_base_url": config.public_base_url}
        router = factory(**{k: v for k, v in kwargs.items() if k in params})
    else:
        router = getattr(module, "router", None)
    return router if isinstance(router, APIRouter) else None


def create_app(config: EmulatorConfig | None = None) -> FastAPI:
    state = EmulatorState(config or EmulatorConfig())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=render.warm_up, name="emulator-warm-up", daemon=True).start()
        state.restore()
        try:
            yield
        finally:
            state.shutting_down.set()
            state.close()

    app = FastAPI(
        title="Reelcraft provider emulator",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.emulator = state
    stripe = _stripe_router(state.config)
    app.include_router(control.create_router(state, stripe=stripe is not None))
    app.include_router(files.create_router(state))
    if stripe is not None:
        app.include_router(stripe)
    for module in (gemini, kie, kling, pollo, runway):
        app.include_router(module.create_router(state))
    app.include_router(fal.create_router(state))
    return app
