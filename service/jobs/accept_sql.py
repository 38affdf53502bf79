"""The statements of accepting a generation, compiled once for the hot path.

Accepting is on every creator's critical path, so its SQL runs on a dedicated connection
with no ORM (service/storage/hotpath.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    Integer,
    String,
    bindparam,
    column,
    func,
    insert,
    literal_column,
    select,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnElement

from service.storage.base import UTCDateTime
from service.storage.hotpath import Prepared, prepare
from service.storage.tables import GenerationEventRow, GenerationRow, MediaRow
from shared.states import LIVE_JOB_STATES

_LIVE_LITERALS: list[ColumnElement[str]] = [
    literal_column(f"'{state.value}'") for state in LIVE_JOB_STATES
]


@dataclass(frozen=True)
class AcceptStatements:
    """Accepting a generation is on every creator's critical path: its statements are
    compiled once and run on the hot path (a dedicated connection, no ORM)."""

    precheck: Prepared
    insert_generation: Prepared
    insert_event: Prepared

    @classmethod
    def compile(cls, dialect: Dialect) -> AcceptStatements:
        mine = GenerationRow.user_id == bindparam("user_id")
        precheck = select(
            select(GenerationRow.id)
            .where(mine, GenerationRow.client_request_id == bindparam("client_request_id"))
            .scalar_subquery()
            .label("existing"),
            select(MediaRow.sha256)
            .where(MediaRow.sha256 == bindparam("image"), MediaRow.kind == "image")
            .scalar_subquery()
            .label("image"),
            select(func.count())
            # Constants inlined: a compiled-once statement cannot expand an IN list.
            .where(
                mine,
                GenerationRow.state.in_([literal_column(f"'{s.value}'") for s in LIVE_JOB_STATES]),
            )
            .scalar_subquery()
            .label("live"),
            select(func.count())
            .where(mine, GenerationRow.created_at >= bindparam("since", type_=UTCDateTime()))
            .scalar_subquery()
            .label("today"),
        )
        return cls(
            precheck=prepare(
                precheck,
                dialect,
                returning=[
                    column("existing", String()),
                    column("image", String()),
                    column("live", Integer()),
                    column("today", Integer()),
                ],
            ),
            insert_generation=prepare(
                insert(GenerationRow), dialect, column_keys=GENERATION_COLUMNS
            ),
            insert_event=prepare(insert(GenerationEventRow), dialect, column_keys=EVENT_COLUMNS),
        )


GENERATION_COLUMNS = [
    "id", "user_id", "client_request_id", "model", "route", "request", "state", "post_state",
    "credits_reserved", "credits_charged", "reservation_id", "attempt", "regenerated_from",
    "next_poll_at", "created_at", "updated_at",
]  # fmt: skip
EVENT_COLUMNS = ["generation_id", "at", "kind", "from_state", "to_state", "cause", "detail"]
