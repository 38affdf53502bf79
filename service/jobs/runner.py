"""The runner: claims due generations under a lease and drives each in its own task.

Leases make several service processes safe on one PostgreSQL database (team mode): a job is
driven by whoever holds an unexpired lease. The local service uses a stable owner id, so a
restart after a crash takes its own jobs back at once instead of waiting for the lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.jobs.policy import RunnerPolicy
from service.storage.base import utcnow
from service.storage.db import writing
from service.storage.tables import GenerationRow
from shared.states import LIVE_JOB_STATES

log = logging.getLogger(__name__)

Drive = Callable[[str], Awaitable[None]]


class Runner:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        drive: Drive,
        *,
        owner: str,
        policy: RunnerPolicy,
        postgres: bool = False,
    ) -> None:
        self._sessions = sessions
        self._drive = drive
        self.owner = owner
        self._policy = policy
        self._postgres = postgres
        self._wakeup = asyncio.Event()
        self._active: dict[str, asyncio.Task[None]] = {}
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._first_claim = True

    @property
    def in_flight(self) -> int:
        return len(self._active)

    def wake(self) -> None:
        self._wakeup.set()

    def interrupt(self, generation_id: str) -> None:
        """Stop driving a job whose state was changed elsewhere (a cancel)."""
        task = self._active.get(generation_id)
        if task is not None:
            task.cancel()

    async def start(self) -> None:
        self._loop_task = asyncio.create_task(self._loop(), name="runner-loop")

    async def stop(self) -> None:
        """Stop driving; leave every job where it is, for the next start to resume."""
        self._stopping = True
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        tasks = list(self._active.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._release_leases(list(self._active))
        self._active.clear()

    async def _loop(self) -> None:
        last_renewal = 0.0
        loop = asyncio.get_running_loop()
        while not self._stopping:
            try:
                for generation_id in await self._claim():
                    self._spawn(generation_id)
                if loop.time() - last_renewal > self._policy.lease_s / 3:
                    await self._renew_leases()
                    last_renewal = loop.time()
            except Exception:
                log.exception("runner loop iteration failed; retrying")
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._policy.tick_s)

    def _spawn(self, generation_id: str) -> None:
        if generation_id in self._active:
            return

        async def run() -> None:
            try:
                await self._drive(generation_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("driving generation %s failed; it will be resumed", generation_id)
                await asyncio.sleep(self._policy.tick_s)
            finally:
                self._active.pop(generation_id, None)
                if not self._stopping:
                    await self._release_leases([generation_id])
                    self.wake()

        self._active[generation_id] = asyncio.create_task(run(), name=f"job-{generation_id}")

    async def _claim(self) -> list[str]:
        """One atomic statement: take due live jobs nobody holds (or whose lease expired).
        The first claim after start also takes back this owner's own leases."""
        now = utcnow()
        expires = now + timedelta(seconds=self._policy.lease_s)
        free = or_(GenerationRow.lease_owner.is_(None), GenerationRow.lease_expires_at < now)
        if self._first_claim:
            free = or_(free, GenerationRow.lease_owner == self.owner)
        candidates = (
            select(GenerationRow.id)
            .where(GenerationRow.state.in_([s.value for s in LIVE_JOB_STATES]), free)
            .order_by(GenerationRow.created_at)
            .limit(self._policy.claim_batch)
        )
        if self._postgres:
            candidates = candidates.with_for_update(skip_locked=True)
        async with writing(self._sessions) as session:
            result = await session.execute(
                update(GenerationRow)
                .where(GenerationRow.id.in_(candidates.scalar_subquery()))
                .values(lease_owner=self.owner, lease_expires_at=expires)
                .returning(GenerationRow.id)
            )
            claimed = [row[0] for row in result]
        self._first_claim = False
        return [c for c in claimed if c not in self._active]

    async def _renew_leases(self) -> None:
        if not self._active:
            return
        expires = utcnow() + timedelta(seconds=self._policy.lease_s)
        async with writing(self._sessions) as session:
            await session.execute(
                update(GenerationRow)
                .where(
                    GenerationRow.lease_owner == self.owner,
                    GenerationRow.state.in_([s.value for s in LIVE_JOB_STATES]),
                )
                .values(lease_expires_at=expires)
            )

    async def _release_leases(self, ids: list[str]) -> None:
        if not ids:
            return
        with contextlib.suppress(Exception):
            async with writing(self._sessions) as session:
                await session.execute(
                    update(GenerationRow)
                    .where(GenerationRow.id.in_(ids), GenerationRow.lease_owner == self.owner)
                    .values(lease_owner=None, lease_expires_at=None)
                )
