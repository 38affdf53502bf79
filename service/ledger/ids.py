"""Transfer ids and request fingerprints: what makes a retried transfer idempotent.

Ids are chosen by the caller and saved before the transfer is sent, so a retry after a crash
or a lost answer reuses the id. The ledger stores a fingerprint (sha256 of the canonical
request body) with each transfer: the same id with the same body returns the original
transfer; the same id with a different body is refused.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from service.ledger.errors import InvalidTransfer

MAX_ID_LENGTH = 80  # ledger_transfers.id
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:_.@\-]*$")


def check_transfer_id(transfer_id: str) -> str:
    if not transfer_id or len(transfer_id) > MAX_ID_LENGTH or not _ID.match(transfer_id):
        raise InvalidTransfer(
            f"transfer id must be 1-{MAX_ID_LENGTH} characters of letters, digits and :_.@- "
            f"(got {transfer_id!r})"
        )
    return transfer_id


def derived_id(prefix: str, key: str) -> str:
    """An id derived from another (e.g. the sweeper's release of a reservation): stable, so
    two sweepers racing on one reservation send the same, idempotent transfer."""
    candidate = f"{prefix}:{key}"
    if len(candidate) <= MAX_ID_LENGTH:
        return candidate
    return f"{prefix}:{hashlib.sha256(key.encode()).hexdigest()[:40]}"


@dataclass(frozen=True)
class JobTransferIds:
    """The transfer ids of one generation, derived from its id (nothing else to persist)."""

    reserve: str
    capture: str
    release: str

    @classmethod
    def for_job(cls, job_id: str) -> JobTransferIds:
        return cls(
            reserve=derived_id("job", f"{job_id}:reserve"),
            capture=derived_id("job", f"{job_id}:capture"),
            release=derived_id("job", f"{job_id}:release"),
        )


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)  # informational money in `extra`; ledger amounts are integers
    if isinstance(value, datetime):
        return value.isoformat()
    raise InvalidTransfer(f"extra data must be JSON: {type(value).__name__} is not")


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_json_default)


def normalize_extra(extra: Mapping[str, Any] | None) -> dict[str, Any]:
    """Extra data as it will be stored and returned (plain JSON types)."""
    normalized: dict[str, Any] = json.loads(canonical_json(dict(extra or {})))
    return normalized


def fingerprint(operation: str, **fields: object) -> str:
    body = canonical_json({"op": operation, **fields})
    return hashlib.sha256(body.encode()).hexdigest()
