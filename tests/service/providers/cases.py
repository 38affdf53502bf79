"""One representative route per adapter, and helpers to drive an adapter to the end.

The routes are chosen so that renders are few and small: fal and Gemini share one
1280x720 4 s clip with sound, Kling, Pollo and Runway share one silent 1280x720 5 s clip.
"""

from __future__ import annotations

import asyncio
import time

from service.providers.base import (
    InputImage,
    ProviderAdapter,
    ProviderHandle,
    ProviderUpdate,
    SubmitRequest,
)
from shared.catalogue import shipped_catalogue

# adapter -> (model id, route name, duration, resolution, audio)
ROUTES: dict[str, tuple[str, str, int, str, bool]] = {
    "fal": ("veo-3.1", "fal", 4, "720p", True),
    "kie": ("sora-2", "kie", 10, "720p", True),
    "gemini": ("veo-3.1", "gemini", 4, "720p", True),
    "kling": ("kling-1.6", "kling", 5, "720p", False),
    "pollo": ("kling-1.6", "pollo", 5, "720p", False),
    "runway": ("runway-gen4-turbo", "runway", 5, "720p", False),
}
ADAPTERS = sorted(ROUTES)
CANCELLABLE = ("fal", "runway")


def request_for(
    adapter: str, prompt: str, png: bytes, url: str | None, **overrides: object
) -> SubmitRequest:
    model_id, route_name, duration, resolution, audio = ROUTES[adapter]
    route = shipped_catalogue().model(model_id).route(route_name)
    # fal gets no public URL, so its data-URL fallback is what the tests exercise.
    public = None if adapter == "fal" else url
    fields: dict[str, object] = {
        "route": route,
        "prompt": prompt,
        "duration_s": duration,
        "resolution": resolution,
        "aspect_ratio": "16:9",
        "audio": audio,
        "image": InputImage(data=png, mime_type="image/png", public_url=public),
    }
    fields.update(overrides)
    return SubmitRequest.model_validate(fields)


async def run_to_end(
    adapter: ProviderAdapter, handle: ProviderHandle, timeout: float = 20.0
) -> tuple[ProviderUpdate, list[ProviderUpdate]]:
    """Poll until a terminal status; returns it and every update seen."""
    seen: list[ProviderUpdate] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        update = await adapter.poll(handle)
        seen.append(update)
        if update.terminal:
            return update, seen
        await asyncio.sleep(0.03)
    raise AssertionError(f"{adapter.name} task did not finish; last: {seen[-1:]}")
