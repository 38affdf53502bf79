"""`/_emulator/*`: health, fault injection, timing and a task listing for tests and demos.

    GET    /_emulator/health               {"ok": true, "providers": [...], "stripe": bool}
    GET    /_emulator/faults               live global faults
    POST   /_emulator/faults               {"spec": "rate_limited?times=2"} or {"specs": [...]}
    DELETE /_emulator/faults               clear global faults and marker counters
    POST   /_emulator/timing               {"queue_s": 0.2, "render_s": 1.0} for new tasks
    GET    /_emulator/tasks                provider, id, model, state of every task

No credential is needed: the emulator only ever listens where its user put it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from service.providers.emulator.core import EmulatorState
from service.providers.emulator.faults import PROVIDERS, FaultSpecError, parse_specs
from service.providers.emulator.protocol import InputError, read_json


def create_router(state: EmulatorState, *, stripe: bool) -> APIRouter:
    router = APIRouter(prefix="/_emulator", include_in_schema=False)

    @router.get("/health")
    async def health() -> dict[str, Any]:
        return {
            "ok": True,
            "providers": sorted(PROVIDERS),
            "stripe": stripe,
            "queue_s": state.config.queue_s,
            "render_s": state.config.render_s,
        }

    @router.get("/faults")
    async def list_faults() -> dict[str, Any]:
        return {"faults": state.faults.describe()}

    @router.post("/faults")
    async def add_faults(request: Request) -> Response:
        try:
            body = await read_json(request)
            specs = body.get("specs") or ([body["spec"]] if "spec" in body else [])
            if not specs or not all(isinstance(s, str) for s in specs):
                raise InputError('send {"spec": "kind?param=value"} or {"specs": [...]}')
            faults = [f for s in specs for f in parse_specs(s)]
        except (InputError, FaultSpecError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        for fault in faults:
            state.faults.add(fault)
        return JSONResponse({"faults": state.faults.describe()}, status_code=201)

    @router.delete("/faults")
    async def clear_faults() -> Response:
        state.faults.clear()
        return Response(status_code=204)

    @router.post("/timing")
    async def timing(request: Request) -> Response:
        try:
            body = await read_json(request)
            for name in ("queue_s", "render_s"):
                if name in body:
                    value = float(body[name])
                    if value < 0:
                        raise InputError(f"{name} must be >= 0")
                    setattr(state.config, name, value)
        except (InputError, TypeError, ValueError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"queue_s": state.config.queue_s, "render_s": state.config.render_s})

    @router.get("/tasks")
    async def tasks() -> dict[str, Any]:
        return {
            "tasks": [
                {
                    "provider": t.provider,
                    "id": t.id,
                    "model": t.model,
                    "state": state.snapshot(t).state.value,
                    "deleted": t.deleted,
                }
                for t in state.tasks.values()
            ]
        }

    return router
