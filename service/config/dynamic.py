"""Run-time configuration stored in the database, read through a small cache."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.storage.base import utcnow
from service.storage.db import writing
from service.storage.tables import ConfigEntryRow
from shared.errors import ErrorCode, ReelcraftError


class RuntimeConfig(BaseModel):
    """Everything an admin can change without a restart. Defaults come from Settings."""

    model_config = ConfigDict(extra="forbid")

    generation_enabled: bool = True
    max_concurrent_per_user: int = Field(default=3, gt=0)
    daily_cap_per_user: int = Field(default=100, gt=0)
    auto_retries: int = Field(default=1, ge=0, le=5)
    disabled_models: list[str] = Field(default_factory=list)
    disabled_routes: dict[str, list[str]] = Field(default_factory=dict)
    price_book: str = "default"
    cache_budget_mb: int = Field(default=4096, ge=64)


class DynamicConfig:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], defaults: RuntimeConfig):
        self._sessions = sessions
        self._defaults = defaults
        self._cached: RuntimeConfig | None = None
        self._listeners: list[Callable[[RuntimeConfig], Awaitable[None]]] = []

    async def get(self) -> RuntimeConfig:
        if self._cached is None:
            async with self._sessions() as session:
                rows = await session.execute(
                    ConfigEntryRow.__table__.select()  # type: ignore[attr-defined]
                )
                stored = {r.key: r.value for r in rows}
            merged = self._defaults.model_dump() | {
                k: v for k, v in stored.items() if k in RuntimeConfig.model_fields
            }
            self._cached = RuntimeConfig.model_validate(merged)
        return self._cached

    async def set(self, updated_by: str, **values: Any) -> RuntimeConfig:
        current = await self.get()
        unknown = set(values) - set(RuntimeConfig.model_fields)
        if unknown:
            raise ReelcraftError(ErrorCode.INVALID_INPUT, f"unknown settings: {sorted(unknown)}")
        try:
            validated = RuntimeConfig.model_validate(current.model_dump() | values)
        except ValidationError as exc:
            raise ReelcraftError(ErrorCode.INVALID_INPUT, str(exc).splitlines()[0]) from None
        async with writing(self._sessions) as session:
            for key in values:
                row = await session.get(ConfigEntryRow, key)
                value = getattr(validated, key)
                if row is None:
                    session.add(ConfigEntryRow(key=key, value=value, updated_by=updated_by))
                else:
                    row.value, row.updated_by, row.updated_at = value, updated_by, utcnow()
        self._cached = validated
        for listener in self._listeners:
            await listener(validated)
        return validated

    def on_change(self, listener: Callable[[RuntimeConfig], Awaitable[None]]) -> None:
        self._listeners.append(listener)
