"""Request and response bodies of the service's HTTP API (`/api/v1`), beyond the core schemas.

The service validates with these, the typed client parses with them: one contract.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.listing import ModelListing
from shared.schemas import Generation
from shared.states import JobState, PostState

API_PREFIX = "/api/v1"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Health(_Body):
    status: Literal["ok"] = "ok"
    version: str
    demo_mode: bool
    user_id: str
    roles: list[str]
    pid: int


class ModelsResponse(_Body):
    price_book: str
    price_book_version: str
    catalogue_version: str
    default_model: str
    default_duration: int
    generation_enabled: bool
    models: list[ModelListing]


class QuoteBody(_Body):
    model: str
    duration_s: int = Field(gt=0, le=60)
    resolution: str | None = None
    price_book: str | None = None


class GenerationPage(_Body):
    items: list[Generation]
    next_cursor: str | None = None


class GenerationEvent(_Body):
    """One entry of a generation's timeline (what support reads)."""

    id: int
    generation_id: UUID
    at: datetime
    kind: str
    from_state: str | None
    to_state: str | None
    cause: str
    detail: dict[str, Any] | None = None


class StateFilter(_Body):
    state: list[JobState] | None = None
    post_state: list[PostState] | None = None
    model: str | None = None


class StreamEvent(_Body):
    """One server-sent event: `generation` carries a Generation, `balance` a balance."""

    type: Literal["generation", "balance", "hello"]
    data: dict[str, Any]


class TrackingEvent(_Body):
    """A product analytics event sent by the UI (SPEC 8; never the prompt text itself)."""

    name: str = Field(pattern=r"^[a-z]+-(fe|be)[A-Za-z]+$", max_length=80)
    data: dict[str, Any] = Field(default_factory=dict)
