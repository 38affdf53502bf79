"""The shared HTTP client and the translation of HTTP trouble into `ProviderError`s.

One `httpx.AsyncClient` serves every adapter (connection reuse, one set of limits). Its
logging is quieted to WARNING: httpx logs every request URL at INFO, and provider URLs can
carry credentials (`?key=`).
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import time
from typing import Any

import httpx

from service.providers.base import ProviderError
from shared.errors import ErrorCode

# Submits and polls answer fast; only a download is big, and that is not done here.
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=10.0)
DEFAULT_LIMITS = httpx.Limits(
    max_connections=64, max_keepalive_connections=16, keepalive_expiry=30.0
)
USER_AGENT = "reelcraft/0.1 (+provider-adapters)"

_POLICY = re.compile(
    r"content[ _-]?polic|moderation|safety|flagged|risk control|responsible ai|sensitive|nsfw",
    re.IGNORECASE,
)

log = logging.getLogger(__name__)

for _noisy in ("httpx", "httpcore"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)


def create_http_client(
    timeout: httpx.Timeout = DEFAULT_TIMEOUT, limits: httpx.Limits = DEFAULT_LIMITS
) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=timeout, limits=limits, headers={"User-Agent": USER_AGENT})


def looks_like_policy(text: str | None) -> bool:
    """Providers phrase content refusals in prose; these words are how clients tell."""
    return bool(text) and _POLICY.search(text or "") is not None


async def send(
    client: httpx.AsyncClient, method: str, url: str, *, submit: bool = False, **kwargs: Any
) -> httpx.Response:
    """One request; transport failures become transient ProviderErrors.

    `submit=True` marks a request that creates something: if it may have reached the
    provider (anything after the connection was made), the outcome is unknown.
    """
    try:
        resp = await client.request(method, url, **kwargs)
    except httpx.TransportError as exc:
        log.warning("%s %s failed: %s", method, _path(url), type(exc).__name__)
        raise transport_error(exc, submit=submit) from None
    log.debug("%s %s -> %s", method, _path(url), resp.status_code)
    return resp


def _path(url: str) -> str:
    """Host and path only: query strings may carry credentials on some providers."""
    parsed = httpx.URL(url)
    return f"{parsed.host}{parsed.path}"


def transport_error(exc: httpx.TransportError, *, submit: bool) -> ProviderError:
    """Connect failures never reached the provider; anything later might have."""
    name = type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return ProviderError(
            ErrorCode.PROVIDER_TIMEOUT, f"could not connect: {name}", transient=True
        )
    if isinstance(exc, httpx.ConnectError):
        return ProviderError(ErrorCode.PROVIDER_ERROR, f"could not connect: {name}", transient=True)
    if isinstance(exc, httpx.TimeoutException):
        return ProviderError(
            ErrorCode.PROVIDER_TIMEOUT,
            f"no answer in time ({name})",
            transient=True,
            outcome_unknown=submit,
        )
    return ProviderError(
        ErrorCode.PROVIDER_ERROR,
        f"connection failed mid-request ({name})",
        transient=True,
        outcome_unknown=submit,
    )


def json_object(resp: httpx.Response, *, submit: bool = False) -> dict[str, Any]:
    """The body as a JSON object; a garbled 2xx on submit leaves the outcome unknown."""
    try:
        body = json.loads(resp.content)
    except (ValueError, UnicodeDecodeError):
        raise ProviderError(
            ErrorCode.PROVIDER_ERROR,
            f"unreadable response (HTTP {resp.status_code})",
            transient=True,
            outcome_unknown=submit and resp.is_success,
            http_status=resp.status_code,
        ) from None
    if not isinstance(body, dict):
        raise ProviderError(
            ErrorCode.PROVIDER_ERROR,
            "response is not a JSON object",
            transient=True,
            outcome_unknown=submit and resp.is_success,
            http_status=resp.status_code,
        )
    return body


def maybe_json(resp: httpx.Response) -> dict[str, Any]:
    """The error body if it is a JSON object, else {} (errors may come from a proxy)."""
    try:
        body = json.loads(resp.content)
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def retry_after(resp: httpx.Response) -> float | None:
    """Seconds to wait, from `retry-after-ms` or `Retry-After` (seconds or an HTTP date)."""
    ms = resp.headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = resp.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def http_error(
    resp: httpx.Response,
    message: str,
    *,
    submit: bool = False,
    provider_code: str | None = None,
    policy: bool | None = None,
    retry_after_s: float | None = None,
) -> ProviderError:
    """The ProviderError for a non-2xx answer; `policy` overrides the content-policy guess."""
    wait = retry_after_s if retry_after_s is not None else retry_after(resp)
    return status_error(
        resp.status_code,
        message or resp.reason_phrase,
        submit=submit,
        provider_code=provider_code,
        policy=policy,
        retry_after_s=wait,
    )


def status_error(
    status: int,
    message: str,
    *,
    submit: bool = False,
    provider_code: str | None = None,
    policy: bool | None = None,
    retry_after_s: float | None = None,
) -> ProviderError:
    """By HTTP-like status; also used for envelope codes (Kie puts the status in `code`)."""
    common: dict[str, Any] = {"http_status": status, "provider_code": provider_code}
    message = message or f"HTTP {status}"
    if status in (401, 403):
        return ProviderError(
            ErrorCode.PROVIDER_ERROR, f"credentials refused: {message}", auth_failed=True, **common
        )
    if status == 429:
        return ProviderError(
            ErrorCode.PROVIDER_RATE_LIMITED,
            message,
            transient=True,
            retry_after_s=retry_after_s,
            **common,
        )
    if status in (408, 504):
        # A gateway timeout on submit: the provider may have created the task anyway.
        return ProviderError(
            ErrorCode.PROVIDER_TIMEOUT,
            message,
            transient=True,
            retry_after_s=retry_after_s,
            outcome_unknown=submit and status == 504,
            **common,
        )
    if status >= 500:
        return ProviderError(
            ErrorCode.PROVIDER_ERROR, message, transient=True, retry_after_s=retry_after_s, **common
        )
    if policy or (policy is None and looks_like_policy(message)):
        return ProviderError(ErrorCode.CONTENT_POLICY, message, **common)
    if status == 404:
        if submit:
            return ProviderError(
                ErrorCode.MODEL_UNAVAILABLE,
                f"the provider does not offer this model: {message}",
                **common,
            )
        return ProviderError(
            ErrorCode.PROVIDER_ERROR, f"the provider no longer knows this task: {message}", **common
        )
    if status in (400, 409, 413, 415, 422):
        return ProviderError(ErrorCode.INVALID_INPUT, message, **common)
    return ProviderError(ErrorCode.PROVIDER_ERROR, message, **common)
