"""The auditor: a seeded random workload of 10,000 ledger operations (reserve, capture, partial
capture, release, retries with the same id, retries with a different body, double
resolutions, captures beyond the reservation, grants, Stripe purchases and their repeated
confirmations, timeouts and the sweeper), with the invariants checked from the database
after every step:

- the books sum to zero; no wallet is below zero; each reservation resolves at most once;
- every touched wallet's balances equal the fold of its transfers, and available + reserved
  equals the posted balance (a full audit of every account every 500 steps and at the end).

Each operation also asserts what the user sees: the balance moves by exactly what the
operation says, or not at all when it is refused. A failure names the seed and step; replay
with `LEDGER_AUDIT_SEED=<seed> pytest tests/service/ledger/test_auditor.py`.
"""

from __future__ import annotations

import os
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from service.ledger import (
    AlreadyResolved,
    CaptureExceedsReservation,
    InsufficientCredits,
    Ledger,
    TransferConflict,
)
from service.ledger.purchases import Purchases
from shared.ledger_schemas import Balance, Transfer
from tests.service.ledger.conftest import FakeClock, video_extra
from tests.service.ledger.stripe_site import StripeSite, stripe_site

SEED = int(os.environ.get("LEDGER_AUDIT_SEED") or random.SystemRandom().randrange(2**31))
STEPS = int(os.environ.get("LEDGER_AUDIT_STEPS", "10000"))
FULL_AUDIT_EVERY = 500
USERS = [f"user{i}" for i in range(24)]
PACKAGES = ["starter", "standard", "pro", "enterprise"]
KLING = "video_post_kling"


@dataclass
class Replayable:
    """A successful operation, to be sent again with the same id (and maybe another body)."""

    user: str
    call: Callable[[], Awaitable[Transfer]]
    altered: Callable[[], Awaitable[Transfer]]
    result: Transfer


@dataclass
class Workload:
    ledger: Ledger
    purchases: Purchases
    site: StripeSite
    clock: FakeClock
    rng: random.Random
    open: dict[str, Transfer] = field(default_factory=dict)
    resolved: list[str] = field(default_factory=list)
    done: list[Replayable] = field(default_factory=list)
    sessions: list[tuple[str, str]] = field(default_factory=list)
    counter: int = 0

    def new_id(self, kind: str) -> str:
        self.counter += 1
        return f"{kind}-{self.counter}"

    async def balance(self, user: str) -> Balance:
        return await self.ledger.balance(user)

    async def reserve(self) -> list[str]:
        user = self.rng.choice(USERS)
        amount = self.rng.randint(1, 600)
        tid, job = self.new_id("r"), self.new_id("job")
        timeout = self.rng.randint(30, 3600)
        before = await self.balance(user)

        def call(amount: int = amount) -> Awaitable[Transfer]:
            return self.ledger.reserve(
                tid, user, amount, KLING, job, video_extra(amount), timeout_s=timeout
            )

        try:
            hold = await call()
        except InsufficientCredits:
            assert before.available < amount, f"refused {amount} with {before}"
            assert await self.balance(user) == before
            return [user]
        assert before.available >= amount, f"reserved {amount} with only {before}"
        after = await self.balance(user)
        assert (after.available, after.reserved) == (
            before.available - amount,
            before.reserved + amount,
        )
        self.open[tid] = hold
        self.done.append(Replayable(user, call, lambda: call(amount + 1), hold))
        return [user]

    async def resolve(self, how: str) -> list[str]:
        if not self.open:
            return await self.reserve()
        hold = self.open.pop(self.rng.choice(sorted(self.open)))
        user = hold.debit_account.removeprefix("wallet:")
        before = await self.balance(user)
        tid = self.new_id(how)
        charged = 0
        if how == "release":
            reason = self.rng.choice(["provider_error", "cancelled", "download_failed"])

            def call() -> Awaitable[Transfer]:
                return self.ledger.release(tid, hold.id, reason)

            def altered() -> Awaitable[Transfer]:
                return self.ledger.release(tid, hold.id, reason + "!")
        else:
            amount = None if how == "capture" else self.rng.randint(1, hold.amount)
            charged = hold.amount if amount is None else amount

            def call() -> Awaitable[Transfer]:
                return self.ledger.capture(tid, hold.id, amount)

            def altered() -> Awaitable[Transfer]:
                # Whole instead of part, or part instead of whole: never the same body.
                return self.ledger.capture(tid, hold.id, None if amount else 1)

        result = await call()
        after = await self.balance(user)
        assert after.posted == before.posted - charged
        assert after.reserved == before.reserved - hold.amount
        assert after.available == before.available + hold.amount - charged
        self.resolved.append(hold.id)
        self.done.append(Replayable(user, call, altered, result))
        return [user]

    async def overcharge(self) -> list[str]:
        if not self.open:
            return await self.reserve()
        hold = self.open[self.rng.choice(sorted(self.open))]
        user = hold.debit_account.removeprefix("wallet:")
        before = await self.balance(user)
        with pytest.raises(CaptureExceedsReservation):
            await self.ledger.capture(self.new_id("over"), hold.id, hold.amount + 1)
        assert await self.balance(user) == before
        return [user]

    async def retry_same(self) -> list[str]:
        if not self.done:
            return await self.grant()
        op = self.rng.choice(self.done)
        before = await self.balance(op.user)
        assert await op.call() == op.result
        assert await self.balance(op.user) == before
        return [op.user]

    async def retry_different(self) -> list[str]:
        if not self.done:
            return await self.grant()
        op = self.rng.choice(self.done)
        before = await self.balance(op.user)
        with pytest.raises(TransferConflict):
            await op.altered()
        assert await self.balance(op.user) == before
        return [op.user]

    async def resolve_again(self) -> list[str]:
        if not self.resolved:
            return await self.resolve("capture")
        pending = self.rng.choice(self.resolved)
        hold = await self.ledger.get(pending)
        assert hold is not None
        user = hold.debit_account.removeprefix("wallet:")
        before = await self.balance(user)
        with pytest.raises(AlreadyResolved):
            if self.rng.random() < 0.5:
                await self.ledger.capture(self.new_id("late-capture"), pending)
            else:
                await self.ledger.release(self.new_id("late-release"), pending, "again")
        assert await self.balance(user) == before
        return [user]

    async def grant(self) -> list[str]:
        user, amount = self.rng.choice(USERS), self.rng.randint(1, 2000)
        tid, reason = self.new_id("g"), self.rng.choice(["welcome", "support", "promo"])
        before = await self.balance(user)

        def call(amount: int = amount) -> Awaitable[Transfer]:
            return self.ledger.grant(tid, user, amount, reason, granted_by="auditor")

        result = await call()
        assert (await self.balance(user)).posted == before.posted + amount
        self.done.append(Replayable(user, call, lambda: call(amount + 1), result))
        return [user]

    async def purchase(self) -> list[str]:
        user, package = self.rng.choice(USERS), self.rng.choice(PACKAGES)
        before = await self.balance(user)
        opened = await self.purchases.start(
            user,
            package,
            success_url=f"{self.site.base_url}/ok",
            cancel_url=f"{self.site.base_url}/no",
        )
        assert opened.checkout_url is not None
        assert (await self.site.pay(opened.checkout_url)).status_code == 303  # + webhook
        await self.purchases.confirm(opened.checkout_session_id)  # and the return trip
        assert (await self.balance(user)).available == before.available + opened.credits
        self.sessions.append((user, opened.checkout_session_id))
        return [user]

    async def confirm_again(self) -> list[str]:
        if not self.sessions:
            return await self.purchase()
        user, session_id = self.rng.choice(self.sessions)
        before = await self.balance(user)
        await self.purchases.confirm(session_id)
        delivery = self.rng.choice(self.site.deliveries)
        assert await self.site.redeliver(delivery) == 200
        assert await self.balance(user) == before
        return [user]

    async def sweep(self) -> list[str]:
        self.clock.advance(self.rng.randint(0, 900))
        released = await self.ledger.sweep_expired()
        for refund in released:
            assert refund.pending_id is not None
            self.open.pop(refund.pending_id)
            self.resolved.append(refund.pending_id)
        assert not [
            t
            for t in self.open.values()
            if t.timeout_at is not None and t.timeout_at <= self.clock.now
        ]
        return sorted({r.debit_account.removeprefix("wallet:") for r in released})

    def operations(self) -> dict[str, tuple[int, Callable[[], Awaitable[list[str]]]]]:
        return {
            "reserve": (26, self.reserve),
            "capture": (12, lambda: self.resolve("capture")),
            "partial capture": (8, lambda: self.resolve("partial")),
            "release": (10, lambda: self.resolve("release")),
            "retry same id": (12, self.retry_same),
            "retry different body": (8, self.retry_different),
            "resolve twice": (5, self.resolve_again),
            "capture more than held": (2, self.overcharge),
            "grant": (10, self.grant),
            "purchase": (1, self.purchase),
            "confirm purchase again": (2, self.confirm_again),
            "sweep": (4, self.sweep),
        }


async def test_a_random_workload_never_breaks_an_invariant(
    sqlite_ledger: Ledger, clock: FakeClock
) -> None:
    print(f"ledger auditor: seed {SEED}, {STEPS} steps")
    rng = random.Random(SEED)
    async with stripe_site() as site:
        site.purchases = Purchases(sqlite_ledger, site.client, webhook_secret=site.webhook_secret)
        work = Workload(sqlite_ledger, site.purchases, site, clock, rng)
        operations = work.operations()
        names = list(operations)
        weights = [operations[n][0] for n in names]
        step, name = 0, ""
        try:
            for step in range(1, STEPS + 1):
                name = rng.choices(names, weights)[0]
                touched = await operations[name][1]()
                full = step % FULL_AUDIT_EVERY == 0 or step == STEPS
                (await sqlite_ledger.audit(None if full else touched)).raise_if_failed()
        except BaseException as exc:
            print(
                f"ledger auditor FAILED at step {step} ({name}); replay with "
                f"LEDGER_AUDIT_SEED={SEED}"
            )
            raise AssertionError(f"seed {SEED}, step {step} ({name}): {exc!r}") from exc
    assert len(work.done) > STEPS // 3  # the workload did real work, not mostly refusals
