"""Estimated render time per model from recent renders, falling back to the catalogue."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.storage.tables import GenerationRow
from shared.catalogue import Catalogue
from shared.states import JobState

SAMPLE = 20


@dataclass
class RenderEstimates:
    sessions: async_sessionmaker[AsyncSession]
    catalogue: Catalogue
    max_age_s: float = 30.0
    _cache: dict[str, int] = field(default_factory=dict)
    _computed_at: float = 0.0

    async def all(self) -> dict[str, int]:
        if time.monotonic() - self._computed_at > self.max_age_s:
            self._cache = {m: await self._median(m) for m in self.catalogue.models}
            self._computed_at = time.monotonic()
        return self._cache

    async def _median(self, model: str) -> int:
        async with self.sessions() as session:
            rows = await session.execute(
                select(GenerationRow.created_at, GenerationRow.finished_at)
                .where(GenerationRow.model == model, GenerationRow.state == JobState.READY.value)
                .order_by(GenerationRow.finished_at.desc())
                .limit(SAMPLE)
            )
            seconds = [(done - start).total_seconds() for start, done in rows if done]
        if len(seconds) < 3:
            return self.catalogue.models[model].estimated_render_s
        return max(1, round(statistics.median(seconds)))
