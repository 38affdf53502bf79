"""The size budget: least-recently-used files go first, pinned files never (SPEC section 7).

Who decides what is pinned
--------------------------
Pinning is a fact about generations, not about files, so the store asks a ``PinnedQuery``:
given candidate hashes, which of them are pinned? The default, ``generations_pins``, reads
the ``generations`` table directly, so the rule holds in every process that shares the
database and needs no bookkeeping from the job engine:

    a hash is pinned while some generation references it, as its result
    (``media_sha256``) or its input image (``request.input_image_sha256``), and that
    generation is still running (non-terminal state) or its post is not discarded.

That keeps drafts, posts in review, approved (published) and rejected-but-not-discarded
posts, and the inputs of live jobs; it also keeps the input image of every generation the
user kept, because Regenerate and support's "reproduce exactly" need it and an input image
cannot be downloaded again. Discarded work and files no generation references are
evictable. A caller may add hashes of its own (``extra_pinned``).

Files used within a grace period (10 minutes) are never evicted either: a download finishes
a moment before the job engine writes its hash into the generation, an upload comes before
the generation that will use it, and a file just handed to a player must still be there
when the player opens it. The budget is therefore soft by at most what was used recently.

Evicting deletes the file and clears ``media.path``; the row (with its provider URL) stays,
so the file can be fetched again while the URL lives. Poster frames stay too: a few KB that
keep the history list looking complete.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.media.rows import MediaRows
from service.storage.base import utcnow
from service.storage.tables.generations import GenerationRow
from shared.media_schemas import EvictionReport
from shared.states import TERMINAL_JOB_STATES, PostState

PinnedQuery = Callable[[Sequence[str]], Awaitable[set[str]]]
# Evicts one file (hash, stored path, "unused since"); False if it was kept after all.
Remover = Callable[[str, str, datetime], Awaitable[bool]]

# Candidates per pin query. Without indexes on the generations' hashes (see the report in
# ``generations_pins``) each query scans the table, so fewer, larger batches are cheaper.
_BATCH = 1000


def generations_pins(sessions: async_sessionmaker[AsyncSession]) -> PinnedQuery:
    """The default pin rule (module docstring), evaluated for a batch of candidate hashes.

    Cost: ``generations`` has no index on ``media_sha256`` and the input hash lives inside
    the request JSON, so each call scans the table (~0.2 s at 100,000 generations on
    SQLite). Passes are rare (see ``MediaStore._schedule_eviction``); an index on
    ``media_sha256`` and an indexed ``input_image_sha256`` column would make it a lookup.
    """
    terminal = [s.value for s in TERMINAL_JOB_STATES]
    input_sha = GenerationRow.request["input_image_sha256"].as_string()

    async def pinned(candidates: Sequence[str]) -> set[str]:
        if not candidates:
            return set()
        keeps = or_(
            GenerationRow.state.not_in(terminal),
            GenerationRow.post_state != PostState.DISCARDED.value,
        )
        q = select(GenerationRow.media_sha256, input_sha).where(
            keeps,
            or_(GenerationRow.media_sha256.in_(candidates), input_sha.in_(candidates)),
        )
        async with sessions() as s:
            rows = (await s.execute(q)).all()
        wanted = set(candidates)
        return {sha for row in rows for sha in row if sha in wanted}

    return pinned


async def evict_to_budget(
    rows: MediaRows,
    *,
    budget_bytes: int,
    pinned: PinnedQuery,
    remove: Remover,
    extra_pinned: Collection[str] = (),
    grace: timedelta = timedelta(minutes=10),
) -> EvictionReport:
    before = await rows.cached_bytes()
    total = before
    evicted: list[str] = []
    skipped = 0
    cursor = None
    used_before = utcnow() - grace
    while total > budget_bytes:
        batch = await rows.lru_batch(used_before, cursor, _BATCH)
        if not batch:
            break
        cursor = (batch[-1].last_access_at, batch[-1].sha256)
        keep = await pinned([r.sha256 for r in batch])
        for row in batch:
            if total <= budget_bytes:
                break
            if row.sha256 in keep or row.sha256 in extra_pinned:
                skipped += 1
                continue
            if row.path is not None and await remove(row.sha256, row.path, used_before):
                evicted.append(row.sha256)
                total -= row.size_bytes
    return EvictionReport(
        budget_bytes=budget_bytes,
        cached_bytes_before=before,
        cached_bytes_after=total,
        evicted=evicted,
        skipped_pinned=skipped,
        over_budget_bytes=max(0, total - budget_bytes),
    )
