"""Error codes: one enum used by the API, the UI and analytics (SPEC section 5)."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    INSUFFICIENT_CREDITS = "insufficient_credits"
    CONCURRENCY_LIMIT = "concurrency_limit"
    DAILY_LIMIT = "daily_limit"
    GENERATION_DISABLED = "generation_disabled"
    MODEL_UNAVAILABLE = "model_unavailable"
    INVALID_INPUT = "invalid_input"
    CONTENT_POLICY = "content_policy"
    PROVIDER_RATE_LIMITED = "provider_rate_limited"
    PROVIDER_ERROR = "provider_error"
    PROVIDER_TIMEOUT = "provider_timeout"
    DOWNLOAD_FAILED = "download_failed"
    CANCELLED = "cancelled"
    INTERNAL = "internal"


# Human sentences for every code: the UI shows these, never a raw code.
ERROR_MESSAGES: dict[ErrorCode, str] = {
    ErrorCode.INSUFFICIENT_CREDITS: "You don't have enough credits for this video.",
    ErrorCode.CONCURRENCY_LIMIT: "You already have the maximum number of videos rendering. "
    "Wait for one to finish.",
    ErrorCode.DAILY_LIMIT: "You've reached today's video limit. Try again tomorrow.",
    ErrorCode.GENERATION_DISABLED: "Video generation is paused right now. Please try later.",
    ErrorCode.MODEL_UNAVAILABLE: "This model is temporarily unavailable. Pick another model.",
    ErrorCode.INVALID_INPUT: "Something in this request isn't valid. Check the image and prompt.",
    ErrorCode.CONTENT_POLICY: "The provider declined this image or prompt (content policy).",
    ErrorCode.PROVIDER_RATE_LIMITED: "The provider is busy. We'll retry shortly.",
    ErrorCode.PROVIDER_ERROR: "The provider failed to render this video.",
    ErrorCode.PROVIDER_TIMEOUT: "The provider took too long to answer.",
    ErrorCode.DOWNLOAD_FAILED: "The finished video couldn't be downloaded intact.",
    ErrorCode.CANCELLED: "The generation was cancelled.",
    ErrorCode.INTERNAL: "Something went wrong on our side.",
}


def human_message(code: ErrorCode) -> str:
    return ERROR_MESSAGES[code]


class ReelcraftError(Exception):
    """An error that carries a contract error code and a one-line reason."""

    def __init__(self, code: ErrorCode, message: str, *, detail: dict[str, object] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail: dict[str, object] = detail or {}

    def __str__(self) -> str:
        return f"{self.code.value}: {self.message}"
