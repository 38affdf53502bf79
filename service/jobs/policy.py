"""Timing policy of the runner: poll backoff with jitter, timeouts, retries, leases."""

from __future__ import annotations

import random

from pydantic import BaseModel, ConfigDict, Field

from shared.errors import ErrorCode

# Errors worth another render attempt; a content or input problem would fail again.
RETRYABLE_RENDER_ERRORS = frozenset(
    {ErrorCode.PROVIDER_ERROR, ErrorCode.PROVIDER_TIMEOUT, ErrorCode.PROVIDER_RATE_LIMITED}
)


class RunnerPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    poll_initial_s: float = Field(default=0.25, gt=0)
    # Completion must be noticed within a second of the provider's report (SPEC 5).
    poll_max_s: float = Field(default=1.0, gt=0)
    poll_backoff: float = Field(default=1.5, ge=1)
    jitter: float = Field(default=0.2, ge=0, lt=1)
    soft_timeout_s: float = Field(default=15 * 60, gt=0)
    hard_timeout_s: float = Field(default=45 * 60, gt=0)
    transient_retries: int = Field(default=4, ge=0)
    transient_backoff_s: float = Field(default=0.5, gt=0)
    max_retry_after_s: float = Field(default=60.0, gt=0)
    lease_s: float = Field(default=30.0, gt=0)
    claim_batch: int = Field(default=200, gt=0)
    # Submits in progress at once. Bounds the burst of writes after many acceptances, so a
    # creator's POST never queues behind hundreds of background transitions.
    max_concurrent_submits: int = Field(default=8, gt=0)
    tick_s: float = Field(default=1.0, gt=0)

    def next_poll_delay(self, previous: float | None) -> float:
        base = self.poll_initial_s if previous is None else previous * self.poll_backoff
        base = min(base, self.poll_max_s)
        spread = base * self.jitter
        return float(max(0.05, random.uniform(base - spread, base)))

    def transient_delay(self, attempt: int, retry_after_s: float | None) -> float:
        if retry_after_s is not None:
            return min(retry_after_s, self.max_retry_after_s)
        return float(self.transient_backoff_s * (2**attempt) * random.uniform(0.8, 1.2))
