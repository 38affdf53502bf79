"""How the input image reaches a provider: a URL the service serves, a data URL, or base64.

The route's `image_transport` says which. A provider that only fetches URLs (Kie, Pollo)
cannot use bytes, so a missing public URL is an input error, not a silent fallback; fal
documents data URIs for every file input, so it degrades to one.
"""

from __future__ import annotations

from service.providers.base import ProviderError, SubmitRequest
from shared.errors import ErrorCode


def image_reference(req: SubmitRequest, *, data_url_fallback: bool = False) -> str:
    image = req.image
    transport = req.route.image_transport
    if transport == "url":
        if image.public_url:
            return image.public_url
        if data_url_fallback:
            return image.data_url()
        raise ProviderError(
            ErrorCode.INVALID_INPUT,
            f"route {req.route.name} ({req.route.adapter}) needs the image at a public URL",
        )
    if transport == "data_url":
        return image.data_url()
    return image.base64()
