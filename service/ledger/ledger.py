"""The credits ledger (SPEC 6): TigerBeetle-style two-phase transfers on SQL.

A reservation is a pending transfer from the user's wallet to `system:revenue`; capture posts
it (whole or part, the rest goes back); release voids it. Each of the three is one statement
in its own transaction (see service/storage/hotpath.py); the database triggers apply it to
both accounts and the constraints refuse overspending (CHECK), a second resolution (UNIQUE
pending_id) and a reused id (primary key). Ids are chosen by the caller, so every operation
can be retried: the same id with the same body returns the original transfer; with a
different body it is refused. Grants and purchases (purchases.py) credit a wallet from a
system account.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from service.ledger import audit as audit_queries
from service.ledger import statement as statements
from service.ledger.accounts import (
    SYSTEM_GRANTS,
    SYSTEM_REVENUE,
    ensure_system_accounts,
    ensure_wallet,
    wallet_id,
)
from service.ledger.database import write_transaction
from service.ledger.errors import (
    AlreadyResolved,
    InvalidTransfer,
    LedgerNotReady,
    LedgerUnavailable,
    ReservationNotFound,
    TransferConflict,
)
from service.ledger.ids import (
    JobTransferIds,
    check_transfer_id,
    derived_id,
    fingerprint,
    normalize_extra,
)
from service.ledger.reconcile import reconcile_job
from service.ledger.refusals import explain_refusal, replay
from service.ledger.sources import VideoPostSources
from service.ledger.transfers import (
    BALANCE,
    BALANCE_COLUMNS,
    INSERT_COLUMNS,
    INSERT_TRANSFER,
    POST_PENDING,
    VOID_PENDING,
    expired_reservations,
    get_transfer,
    open_reservations,
    to_transfer,
    transfers,
)
from service.storage.base import utcnow
from service.storage.hotpath import HotPath, Prepared, Refused, prepare
from service.storage.tables.ledger import installed_triggers, trigger_names
from shared.catalogue import Catalogue, shipped_catalogue
from shared.ledger_schemas import (
    SOURCE_GRANT,
    Balance,
    Reconciliation,
    StatementPage,
    Transfer,
    TransferKind,
)

DEFAULT_TIMEOUT_S = 6 * 3600
MAX_JOB_ID = 36  # ledger_transfers.job_id
MAX_REASON = 200


def _positive(amount: int, what: str = "amount") -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidTransfer(f"{what} must be a positive whole number of credits")
    return amount


class Ledger:
    """The ledger API used by the job engine, the HTTP API and the CLI. Safe to share."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        default_timeout_s: int = DEFAULT_TIMEOUT_S,
        clock: Callable[[], datetime] = utcnow,
        catalogue: Catalogue | None = None,
        hot_connections: int | None = None,
    ) -> None:
        if default_timeout_s <= 0:
            raise ValueError("default_timeout_s must be positive")
        self.engine = engine
        self.default_timeout_s = default_timeout_s
        self._clock = clock
        self._catalogue = catalogue or shipped_catalogue()
        self._sources = VideoPostSources(self._catalogue)
        self._ready = False
        self._ready_lock = asyncio.Lock()
        self._known_wallets: set[str] = set()  # wallets seen committed: skip the upsert
        # The hot statements (reserve, capture, release, balance) run on dedicated connections.
        self._hot = HotPath(engine, size=hot_connections, unavailable=LedgerUnavailable)
        dialect = engine.dialect
        self._insert = prepare(INSERT_TRANSFER, dialect, column_keys=INSERT_COLUMNS)
        self._post = prepare(POST_PENDING, dialect, returning=list(transfers.c))
        self._void = prepare(VOID_PENDING, dialect, returning=list(transfers.c))
        self._balance = prepare(BALANCE, dialect, returning=BALANCE_COLUMNS)

    async def close(self) -> None:
        """Close the hot path's connections. Call before disposing of the engine."""
        await self._hot.close()

    async def __aenter__(self) -> Ledger:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    # --- set-up ---------------------------------------------------------------------------

    async def ready(self) -> None:
        """Check the database carries the ledger triggers; create the system accounts."""
        if self._ready:
            return
        async with self._ready_lock:
            if self._ready:
                return
            async with write_transaction(self.engine) as conn:
                present = await conn.run_sync(installed_triggers)
                missing = trigger_names(conn.dialect.name) - present
                if missing:
                    raise LedgerNotReady(set(missing))
                await ensure_system_accounts(conn)
            self._ready = True

    # --- two-phase: reserve, capture, release ---------------------------------------------

    async def reserve(
        self,
        transfer_id: str,
        user_id: str,
        amount: int,
        source: str,
        job_id: str | None = None,
        extra: Mapping[str, Any] | None = None,
        timeout_s: int | None = None,
    ) -> Transfer:
        """Hold `amount` credits of the user's wallet, or raise InsufficientCredits."""
        check_transfer_id(transfer_id)
        account = wallet_id(user_id)
        _positive(amount)
        details = self._sources.check(source, extra, amount)
        if job_id is not None and not 0 < len(job_id) <= MAX_JOB_ID:
            raise InvalidTransfer(f"job id must be 1-{MAX_JOB_ID} characters")
        timeout = self.default_timeout_s if timeout_s is None else timeout_s
        _positive(timeout, "timeout_s")
        body = fingerprint(
            "reserve",
            user=user_id,
            amount=amount,
            source=source,
            job_id=job_id,
            extra=details,
            timeout_s=timeout,
        )
        await self.ready()
        now = self._clock()
        values = {
            "id": transfer_id,
            "kind": TransferKind.PENDING.value,
            "debit_account_id": account,
            "credit_account_id": SYSTEM_REVENUE,
            "amount": amount,
            "pending_id": None,
            "source": source,
            "job_id": job_id,
            "extra": details,
            "body_sha256": body,
            "timeout_at": now + timedelta(seconds=timeout),
            "created_at": now,
        }
        try:
            await self._hot.run(self._insert, values)
        except Refused as exc:
            return await explain_refusal(
                self.engine, str(exc), transfer_id, body, user_id=user_id, amount=amount
            )
        return _inserted(values)

    async def capture(
        self,
        transfer_id: str,
        pending_id: str,
        amount: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Transfer:
        """Charge a reservation: all of it, or `amount` of it (the remainder goes back)."""
        check_transfer_id(transfer_id)
        if amount is not None:
            _positive(amount, "capture amount (use release to charge nothing)")
        details = normalize_extra(extra)
        body = fingerprint("capture", pending_id=pending_id, amount=amount, extra=details)
        params = {"amount": amount, "extra": details}
        return await self._resolve(self._post, transfer_id, pending_id, body, params)

    async def release(self, transfer_id: str, pending_id: str, reason: str) -> Transfer:
        """Refund a reservation in full (source video_post_refund)."""
        check_transfer_id(transfer_id)
        if len(reason) > MAX_REASON:
            raise InvalidTransfer(f"reason is limited to {MAX_REASON} characters")
        body = fingerprint("release", pending_id=pending_id, reason=reason)
        params = {"extra": {"reason": reason}}
        return await self._resolve(self._void, transfer_id, pending_id, body, params)

    async def _resolve(
        self,
        stmt: Prepared,
        transfer_id: str,
        pending_id: str,
        body: str,
        params: dict[str, Any],
    ) -> Transfer:
        await self.ready()
        values = {
            "id": transfer_id,
            "pending_id": pending_id,
            "body_sha256": body,
            "created_at": self._clock(),
            **params,
        }
        try:
            rows = await self._hot.run(stmt, values)
        except Refused as exc:
            return await explain_refusal(
                self.engine,
                str(exc),
                transfer_id,
                body,
                pending_id=pending_id,
                amount=params.get("amount"),
            )
        if rows:
            return to_transfer(rows[0])
        # Nothing selected: no reservation by that id. A replay still answers.
        async with self.engine.connect() as conn:
            existing = await get_transfer(conn, transfer_id)
        if existing is not None:
            return replay(existing, body)
        raise ReservationNotFound(pending_id)

    # --- single-phase: grants --------------------------------------------------------------

    async def grant(
        self,
        transfer_id: str,
        user_id: str,
        amount: int,
        reason: str = "",
        granted_by: str | None = None,
    ) -> Transfer:
        """An admin grant: credits from `system:grants` into the user's wallet."""
        check_transfer_id(transfer_id)
        account = wallet_id(user_id)
        _positive(amount)
        if len(reason) > MAX_REASON:
            raise InvalidTransfer(f"reason is limited to {MAX_REASON} characters")
        body = fingerprint(
            "grant", user=user_id, amount=amount, reason=reason, granted_by=granted_by
        )
        await self.ready()
        values = {
            "id": transfer_id,
            "kind": TransferKind.SINGLE.value,
            "debit_account_id": SYSTEM_GRANTS,
            "credit_account_id": account,
            "amount": amount,
            "pending_id": None,
            "source": SOURCE_GRANT,
            "job_id": None,
            "extra": {"reason": reason, "granted_by": granted_by},
            "body_sha256": body,
            "timeout_at": None,
            "created_at": self._clock(),
        }
        try:
            async with write_transaction(self.engine) as conn:
                if account not in self._known_wallets:
                    await ensure_wallet(conn, user_id)
                await conn.execute(INSERT_TRANSFER, values)
        except IntegrityError as exc:
            return await explain_refusal(self.engine, str(exc.orig), transfer_id, body)
        self._known_wallets.add(account)
        return _inserted(values)

    # --- reads ------------------------------------------------------------------------------

    async def balance(self, user_id: str) -> Balance:
        rows = await self._hot.run(self._balance, {"account": wallet_id(user_id)}, write=False)
        posted, reserved = (rows[0]["posted"], rows[0]["reserved"]) if rows else (0, 0)
        return Balance(
            user_id=user_id, available=posted - reserved, reserved=reserved, posted=posted
        )

    async def statement(
        self, user_id: str, cursor: str | None = None, limit: int = 50
    ) -> StatementPage:
        """The wallet's transfers, newest first, `limit` per page."""
        async with self.engine.connect() as conn:
            return await statements.read_page(conn, user_id, cursor, limit)

    async def reconcile(self, job_id: str) -> Reconciliation:
        """Credits charged for one generation against its provider cost."""
        async with self.engine.connect() as conn:
            return await reconcile_job(conn, job_id, self._catalogue)

    async def get(self, transfer_id: str) -> Transfer | None:
        async with self.engine.connect() as conn:
            row = await get_transfer(conn, transfer_id)
        return to_transfer(row) if row is not None else None

    async def open_reservations(
        self, *, user_id: str | None = None, job_id: str | None = None
    ) -> list[Transfer]:
        account = wallet_id(user_id) if user_id is not None else None
        async with self.engine.connect() as conn:
            return await open_reservations(conn, account=account, job_id=job_id)

    async def audit(self, user_ids: list[str] | None = None) -> audit_queries.AuditReport:
        """Check the ledger's invariants from the database (all accounts, or some wallets)."""
        async with self.engine.connect() as conn:
            return await audit_queries.run(conn, user_ids)

    # --- the sweeper -------------------------------------------------------------------------

    async def sweep_expired(self, now: datetime | None = None, limit: int = 500) -> list[Transfer]:
        """Release reservations left unresolved past their timeout. Safe to run anywhere, any
        number of times: a sweeper's release id is derived from the reservation, and a
        reservation the job engine resolves first is simply skipped."""
        await self.ready()
        async with self.engine.connect() as conn:
            expired = await expired_reservations(conn, now or self._clock(), limit)
        released = []
        for pending_id in expired:
            try:
                released.append(await self.release(_expiry_id(pending_id), pending_id, "timeout"))
            except AlreadyResolved:
                continue
        return released

    # --- the job engine's view (service.jobs.engine.CreditsLedger) ---------------------------

    async def reserve_for_job(
        self,
        *,
        job_id: str,
        user_id: str,
        amount: int,
        source: str,
        extra: Mapping[str, Any],
        timeout_s: int | None = None,
    ) -> Transfer:
        ids = JobTransferIds.for_job(job_id)
        return await self.reserve(ids.reserve, user_id, amount, source, job_id, extra, timeout_s)

    async def capture_for_job(self, *, job_id: str, amount: int | None = None) -> bool:
        """True once the job's credits are captured; False if they were released instead."""
        ids = JobTransferIds.for_job(job_id)
        try:
            await self.capture(ids.capture, ids.reserve, amount)
        except AlreadyResolved as exc:
            return exc.resolution == "captured"
        except TransferConflict:
            return True  # captured earlier under this job's capture id, for another amount
        return True

    async def release_for_job(self, *, job_id: str, reason: str) -> bool:
        """True once the job's credits are released (refunded); False if they were captured."""
        ids = JobTransferIds.for_job(job_id)
        try:
            await self.release(ids.release, ids.reserve, reason)
        except AlreadyResolved as exc:
            return exc.resolution == "released"
        except TransferConflict:
            return True  # released earlier under this job's release id, for another reason
        return True


def _inserted(values: dict[str, Any]) -> Transfer:
    return Transfer(
        id=values["id"],
        kind=TransferKind(values["kind"]),
        debit_account=values["debit_account_id"],
        credit_account=values["credit_account_id"],
        amount=values["amount"],
        pending_id=values["pending_id"],
        source=values["source"],
        job_id=values["job_id"],
        extra=values["extra"],
        timeout_at=values["timeout_at"],
        created_at=values["created_at"],
    )


def _expiry_id(pending_id: str) -> str:
    return derived_id("expire", pending_id)
