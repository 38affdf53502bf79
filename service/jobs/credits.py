"""The ledger as the job engine sees it, announcing every balance change on the bus."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.jobs.bus import BusEvent, EventBus
from service.ledger import JobTransferIds, Ledger
from service.ledger.transfers import resolution_of
from service.storage.base import utcnow
from service.storage.tables import GenerationRow
from shared.ledger_schemas import ReservationStatus

log = logging.getLogger(__name__)


class JobCredits:
    """Implements `service.jobs.engine.CreditsLedger` over the real ledger."""

    def __init__(self, ledger: Ledger, bus: EventBus) -> None:
        self.ledger = ledger
        self._bus = bus
        self._owner_of: dict[str, str] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._pending_announce: set[str] = set()

    def _announce_soon(self, user_id: str, delay_s: float = 0.05) -> None:
        """Off the request path, and coalesced: a burst of reservations by one user sends
        one balance event, read once, instead of one per generation."""
        if user_id in self._pending_announce:
            return
        self._pending_announce.add(user_id)

        async def later() -> None:
            await asyncio.sleep(delay_s)
            self._pending_announce.discard(user_id)
            await self.announce(user_id)

        task = asyncio.create_task(later())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def announce(self, user_id: str) -> None:
        balance = await self.ledger.balance(user_id)
        self._bus.publish(BusEvent("balance", user_id, balance.model_dump(mode="json")))

    async def reserve_for_job(
        self, *, job_id: str, user_id: str, amount: int, source: str, extra: dict[str, Any]
    ) -> None:
        await self.ledger.reserve_for_job(
            job_id=job_id, user_id=user_id, amount=amount, source=source, extra=extra
        )
        self._owner_of[job_id] = user_id
        self._announce_soon(user_id)

    async def _owner(self, job_id: str) -> str | None:
        if job_id in self._owner_of:
            return self._owner_of[job_id]
        reservations = await self.ledger.open_reservations(job_id=job_id)
        if reservations:
            return reservations[0].debit_account.removeprefix("wallet:")
        transfer = await self.ledger.get(JobTransferIds.for_job(job_id).reserve)
        return transfer.debit_account.removeprefix("wallet:") if transfer else None

    async def reservation_status(self, job_id: str) -> ReservationStatus | None:
        """Open, captured or released; None if the job never reserved anything."""
        ids = JobTransferIds.for_job(job_id)
        if await self.ledger.get(ids.reserve) is None:
            return None
        async with self.ledger.engine.connect() as conn:
            resolution = await resolution_of(conn, ids.reserve)
        if resolution is None:
            return ReservationStatus.OPEN
        return (
            ReservationStatus.CAPTURED if resolution.kind == "post" else ReservationStatus.RELEASED
        )

    async def capture_for_job(self, *, job_id: str) -> bool:
        user = await self._owner(job_id)
        captured = await self.ledger.capture_for_job(job_id=job_id)
        if user:
            await self.announce(user)
        self._owner_of.pop(job_id, None)
        return captured

    async def release_for_job(self, *, job_id: str, reason: str) -> bool:
        user = await self._owner(job_id)
        released = await self.ledger.release_for_job(job_id=job_id, reason=reason)
        if user:
            await self.announce(user)
        self._owner_of.pop(job_id, None)
        return released

    async def release_orphans(
        self, sessions: async_sessionmaker[AsyncSession], min_age_s: float = 60.0
    ) -> int:
        """Reservations whose generation never got written (a crash between reserving and
        persisting) are released; returns how many."""
        cutoff = utcnow() - timedelta(seconds=min_age_s)
        released = 0
        for reservation in await self.ledger.open_reservations():
            if reservation.job_id is None or reservation.created_at > cutoff:
                continue
            async with sessions() as session:
                exists = await session.scalar(
                    select(GenerationRow.id).where(GenerationRow.id == reservation.job_id)
                )
            if exists is None:
                log.warning("releasing orphan reservation of job %s", reservation.job_id)
                await self.release_for_job(job_id=reservation.job_id, reason="orphaned")
                released += 1
        return released
