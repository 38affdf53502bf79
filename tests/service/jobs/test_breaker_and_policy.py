"""The per-route circuit breaker and the runner's timing policy (pure, no I/O)."""

from __future__ import annotations

from service.jobs.breaker import CircuitBreaker, CircuitState
from service.jobs.policy import RunnerPolicy


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_repeated_failures_open_the_circuit_and_a_probe_closes_it() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=3, cooldown_s=30, clock=clock)
    for _ in range(2):
        breaker.record_failure("kling-2.6", "fal")
    assert breaker.allows("kling-2.6", "fal")
    breaker.record_failure("kling-2.6", "fal")
    assert breaker.state("kling-2.6", "fal") is CircuitState.OPEN
    assert not breaker.allows("kling-2.6", "fal")
    assert "fal" in breaker.unavailable_routes("kling-2.6")
    assert breaker.allows("kling-2.6", "kling")  # other routes are unaffected
    clock.now = 31
    assert breaker.state("kling-2.6", "fal") is CircuitState.HALF_OPEN
    assert breaker.allows("kling-2.6", "fal")  # exactly one probe
    assert not breaker.allows("kling-2.6", "fal")
    breaker.record_success("kling-2.6", "fal")
    assert breaker.state("kling-2.6", "fal") is CircuitState.CLOSED
    assert breaker.unavailable_routes("kling-2.6") == {}


def test_a_failed_probe_reopens_for_another_cooldown() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=10, clock=clock)
    breaker.record_failure("veo-3.1", "gemini")
    clock.now = 11
    assert breaker.allows("veo-3.1", "gemini")
    breaker.record_failure("veo-3.1", "gemini")
    clock.now = 15
    assert breaker.state("veo-3.1", "gemini") is CircuitState.OPEN


def test_polling_backs_off_with_jitter_and_never_exceeds_a_second() -> None:
    policy = RunnerPolicy()
    delay = None
    seen = []
    for _ in range(20):
        delay = policy.next_poll_delay(delay)
        seen.append(delay)
    assert seen[0] <= policy.poll_initial_s
    assert max(seen) <= 1.0  # completion noticed within a second (SPEC 5)
    assert len({round(d, 4) for d in seen[-5:]}) > 1  # jittered, not in lockstep
    assert policy.transient_delay(0, retry_after_s=7) == 7  # Retry-After is honoured
    assert policy.transient_delay(0, retry_after_s=600) == policy.max_retry_after_s
