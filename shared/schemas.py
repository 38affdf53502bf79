"""Pydantic schemas of the contract between the desktop, the CLI and the service."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from shared.errors import ErrorCode
from shared.limits import MAX_PROMPT_CHARS
from shared.states import JobState, PostState

# Money and ratios are exact Decimals in code and plain JSON numbers on the wire.
JsonDecimal = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Quote(_Schema):
    """What a generation costs, and how the price was arrived at."""

    model: str
    price_book: str
    price_book_version: str
    catalogue_version: str
    duration_s: int
    resolution: str
    credits: int = Field(ge=0)
    credit_value_usd: JsonDecimal
    provider_cost_usd: JsonDecimal
    margin: JsonDecimal
    route: str | None = Field(description="the route that would render it, None if none can")
    available: bool
    unavailable_reason: str | None = None


class GenerationRequest(_Schema):
    """Everything needed to reproduce a generation exactly (SPEC section 5).

    The client fills what the user chose; the service fills the rest at acceptance (route,
    prompt as sent, drawn seed, versions, quoted credits) and stores the complete object.
    """

    client_request_id: UUID = Field(default_factory=uuid4)
    model: str
    route: str | None = None
    input_image_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    character_name: str = Field(default="", max_length=200)
    character_description: str = Field(default="", max_length=2000)
    prompt: str = Field(default="", max_length=MAX_PROMPT_CHARS)
    prompt_sent: str | None = None
    negative_prompt: str = Field(default="", max_length=MAX_PROMPT_CHARS)
    duration_s: int = Field(gt=0, le=60)
    resolution: str | None = None
    aspect_ratio: str = "9:16"
    audio: bool = True
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    options: dict[str, Any] = Field(default_factory=dict)
    price_book: str = "default"
    price_book_version: str | None = None
    catalogue_version: str | None = None
    quoted_credits: int | None = Field(default=None, ge=0)


class Generation(_Schema):
    id: UUID
    user_id: str
    request: GenerationRequest
    state: JobState
    post_state: PostState = PostState.DRAFT
    progress: float | None = Field(default=None, ge=0, le=100)
    provider_status: str | None = None
    provider_task_id: str | None = None
    error_code: ErrorCode | None = None
    error_message: str | None = None
    credits_reserved: int = 0
    credits_charged: int = 0
    media_sha256: str | None = None
    attempt: int = 1
    regenerated_from: UUID | None = None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None


class ErrorBody(_Schema):
    """Every API error response body."""

    code: ErrorCode
    message: str
    detail: dict[str, Any] = Field(default_factory=dict)
