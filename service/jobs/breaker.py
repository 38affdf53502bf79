"""A per-route circuit breaker: open after repeated provider failures, probed back half-open."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class _Circuit:
    failures: int = 0
    opened_at: float | None = None
    probing: bool = False


@dataclass
class CircuitBreaker:
    failure_threshold: int = 5
    cooldown_s: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _circuits: dict[tuple[str, str], _Circuit] = field(default_factory=dict)

    def state(self, model: str, route: str) -> CircuitState:
        circuit = self._circuits.get((model, route))
        if circuit is None or circuit.opened_at is None:
            return CircuitState.CLOSED
        if self.clock() - circuit.opened_at >= self.cooldown_s:
            return CircuitState.HALF_OPEN
        return CircuitState.OPEN

    def allows(self, model: str, route: str) -> bool:
        """Closed: yes. Half-open: exactly one probe at a time. Open: no."""
        state = self.state(model, route)
        if state is CircuitState.CLOSED:
            return True
        if state is CircuitState.HALF_OPEN:
            circuit = self._circuits[(model, route)]
            if not circuit.probing:
                circuit.probing = True
                return True
        return False

    def record_success(self, model: str, route: str) -> None:
        self._circuits.pop((model, route), None)

    def record_failure(self, model: str, route: str) -> None:
        circuit = self._circuits.setdefault((model, route), _Circuit())
        circuit.failures += 1
        circuit.probing = False
        if circuit.opened_at is not None or circuit.failures >= self.failure_threshold:
            circuit.opened_at = self.clock()  # a failed probe re-opens for another cooldown

    def unavailable_routes(self, model: str) -> dict[str, str]:
        return {
            route: "temporarily unavailable after repeated provider failures"
            for (m, route) in self._circuits
            if m == model and self.state(m, route) is CircuitState.OPEN
        }
