"""Fault injection: what can go wrong, where, how often, and the three ways to ask for it.

A fault spec is one string, `kind` or `kind?param=value&param=value`, e.g.
`rate_limited?retry_after=2&times=2` or `truncated_download`. Recognised params:
`on` (the phase it hits: submit, status, result, cancel, download), `times` (how many
requests it fires on; `inf` for always), `provider` (global faults only: fal, kie, gemini,
kling, pollo, runway), `p` (probability per matching request); anything else is for the kind.

Three channels, so tests, the job service and the CLI need no special code:
- a marker inside the prompt, `[emulator:SPEC]` (several allowed): travels through any adapter;
- the header `X-Emulator-Fault: SPEC[, SPEC]` on one request (direct HTTP, downloads);
- global faults: `POST /_emulator/faults {"spec": SPEC}` or `--scenario` at start.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import parse_qsl


class Phase(StrEnum):
    SUBMIT = "submit"
    STATUS = "status"  # any task lookup: poll, and result for providers whose poll carries it
    RESULT = "result"  # fal's separate result request
    CANCEL = "cancel"
    DOWNLOAD = "download"


class FaultKind(StrEnum):
    # HTTP-level faults on any phase.
    RATE_LIMITED = "rate_limited"  # 429 + Retry-After (retry_after=1)
    SERVER_ERROR = "server_error"  # 5xx in the provider's shape (status=503), a burst of 3
    HANG = "hang"  # no answer for `seconds` (default: until the client gives up)
    MALFORMED_JSON = "malformed_json"  # 200 with a body that is not JSON
    # Outcomes of the task itself.
    CONTENT_POLICY_AT_SUBMIT = "content_policy_at_submit"
    CONTENT_POLICY_AT_RESULT = "content_policy_at_result"
    RENDER_FAILURE = "render_failure"
    CANCELLED = "cancelled"  # the provider cancels the task on its own
    STUCK = "stuck"  # stays running forever: the client's hard timeout must fire
    # The result files.
    EXPIRED_URL = "expired_url"  # the URLs handed out are already expired
    SLOW_DOWNLOAD = "slow_download"  # bytes_per_s=65536
    TRUNCATED_DOWNLOAD = "truncated_download"  # full Content-Length, `fraction`=0.5 sent, closed
    DROPPED_DOWNLOAD = "dropped_download"  # connection reset after `fraction`=0.3 of the body
    WRONG_LENGTH = "wrong_length"  # Content-Length and body shorter than the file (valid HTTP)
    CORRUPT_DOWNLOAD = "corrupt_download"  # right length, garbled bytes (header and middle)
    # Not faults, but per-request knobs through the same channels.
    TIMING = "timing"  # queue_s=, render_s=
    FLAT_ENVELOPE = "flat_envelope"  # Pollo: answer without the {code, data} wrapper


HTTP_FAULTS = frozenset(
    {FaultKind.RATE_LIMITED, FaultKind.SERVER_ERROR, FaultKind.HANG, FaultKind.MALFORMED_JSON}
)
DOWNLOAD_FAULTS = frozenset(
    {
        FaultKind.SLOW_DOWNLOAD,
        FaultKind.TRUNCATED_DOWNLOAD,
        FaultKind.DROPPED_DOWNLOAD,
        FaultKind.WRONG_LENGTH,
        FaultKind.CORRUPT_DOWNLOAD,
    }
)
OUTCOME_FAULTS = frozenset(
    {
        FaultKind.CONTENT_POLICY_AT_RESULT,
        FaultKind.RENDER_FAILURE,
        FaultKind.CANCELLED,
        FaultKind.STUCK,
    }
)
_DEFAULT_PHASE: dict[FaultKind, Phase] = {k: Phase.DOWNLOAD for k in DOWNLOAD_FAULTS} | {
    FaultKind.CONTENT_POLICY_AT_SUBMIT: Phase.SUBMIT,
    FaultKind.EXPIRED_URL: Phase.DOWNLOAD,
}
# Transient faults fire a few times so a retrying client gets through; a fault that is
# a verdict (policy, expiry) holds for every request.
_DEFAULT_TIMES: dict[FaultKind, int | None] = {
    FaultKind.RATE_LIMITED: 1,
    FaultKind.SERVER_ERROR: 3,
    FaultKind.HANG: 1,
    FaultKind.MALFORMED_JSON: 1,
    FaultKind.EXPIRED_URL: None,
    FaultKind.CONTENT_POLICY_AT_SUBMIT: None,
} | {k: 1 for k in DOWNLOAD_FAULTS}

_MARKER = re.compile(r"\[emulator:([^\]]+)\]")
PROVIDERS = frozenset({"fal", "kie", "gemini", "kling", "pollo", "runway"})


class FaultSpecError(ValueError):
    pass


@dataclass
class Fault:
    kind: FaultKind
    on: Phase = Phase.SUBMIT
    times: int | None = 1  # None: unlimited
    provider: str | None = None
    probability: float = 1.0
    params: dict[str, str] = field(default_factory=dict)
    fired: int = 0

    def param(self, name: str, default: float) -> float:
        try:
            return float(self.params.get(name, default))
        except ValueError as exc:
            raise FaultSpecError(f"{self.kind}: {name} must be a number") from exc

    @property
    def spent(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def describe(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "on": self.on.value,
            "times": self.times,
            "fired": self.fired,
            "provider": self.provider,
            "p": self.probability,
            "params": dict(self.params),
        }


def parse_spec(spec: str) -> Fault:
    """`kind?param=value&...` -> Fault; raises FaultSpecError with a readable reason."""
    spec = spec.strip()
    name, _, query = spec.partition("?")
    try:
        kind = FaultKind(name.strip())
    except ValueError as exc:
        known = ", ".join(k.value for k in FaultKind)
        raise FaultSpecError(f"unknown fault {name!r}; known: {known}") from exc
    params = dict(parse_qsl(query, keep_blank_values=True))
    fault = Fault(kind=kind, on=_DEFAULT_PHASE.get(kind, Phase.SUBMIT))
    fault.times = _DEFAULT_TIMES.get(kind)
    if "on" in params:
        try:
            fault.on = Phase(params.pop("on"))
        except ValueError as exc:
            raise FaultSpecError(f"{spec}: 'on' must be one of {[p.value for p in Phase]}") from exc
    if "times" in params:
        raw = params.pop("times")
        if raw in ("inf", "always", ""):
            fault.times = None
        elif raw.isdigit() and int(raw) > 0:
            fault.times = int(raw)
        else:
            raise FaultSpecError(f"{spec}: 'times' must be a positive integer or 'inf'")
    if "provider" in params:
        provider = params.pop("provider")
        if provider not in PROVIDERS:
            raise FaultSpecError(f"{spec}: unknown provider {provider!r}")
        fault.provider = provider
    if "p" in params:
        try:
            fault.probability = float(params.pop("p"))
        except ValueError as exc:
            raise FaultSpecError(f"{spec}: 'p' must be a probability") from exc
    fault.params = params
    for numeric in (
        "retry_after",
        "status",
        "seconds",
        "bytes_per_s",
        "fraction",
        "queue_s",
        "render_s",
    ):
        if numeric in params:
            fault.param(numeric, 0)
    return fault


def parse_specs(text: str) -> list[Fault]:
    return [parse_spec(part) for part in text.split(",") if part.strip()]


def markers_in(prompt: str) -> list[Fault]:
    return [parse_spec(m) for m in _MARKER.findall(prompt or "")]


# Named scenarios for `--scenario NAME` (anything else is read as a list of specs).
SCENARIOS: dict[str, str] = {
    "happy": "",
    "flaky": "rate_limited?times=inf&p=0.2&on=submit,server_error?times=inf&p=0.1&on=status",
    "rate_limited": "rate_limited?times=inf&retry_after=2",
    "outage": "server_error?times=inf&status=503",
    "content_policy": "content_policy_at_result?times=inf",
    "render_failure": "render_failure?times=inf",
    "slow_downloads": "slow_download?times=inf",
    "expired_urls": "expired_url?times=inf",
    "stuck": "stuck?times=inf",
}


def scenario_faults(scenario: str | None) -> list[Fault]:
    if not scenario:
        return []
    return parse_specs(SCENARIOS.get(scenario, scenario))


class FaultBook:
    """Global faults, and counters for prompt markers that must fire only `times` times
    across re-submits of the same prompt (a retried submit carries the same marker)."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._marker_fired: dict[tuple[str, str, str], int] = {}
        self._rng = rng or random.Random()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._marker_fired.clear()

    def describe(self) -> list[dict[str, object]]:
        with self._lock:
            return [f.describe() for f in self._faults if not f.spent]

    def take_global(self, provider: str, phase: Phase, kinds: frozenset[FaultKind]) -> Fault | None:
        """The first live global fault for this request, counted as fired."""
        with self._lock:
            for fault in self._faults:
                if fault.spent or fault.on is not phase or fault.kind not in kinds:
                    continue
                if fault.provider not in (None, provider):
                    continue
                if self._rng.random() >= fault.probability:
                    continue
                fault.fired += 1
                return fault
        return None

    def has_global(self, provider: str, kind: FaultKind) -> Fault | None:
        """A live global outcome fault (counted) for a new task of `provider`."""
        with self._lock:
            for fault in self._faults:
                if (
                    fault.kind is kind
                    and not fault.spent
                    and fault.provider in (None, provider)
                    and self._rng.random() < fault.probability
                ):
                    fault.fired += 1
                    return fault
        return None

    def take_marker(self, provider: str, prompt: str, fault: Fault) -> bool:
        """Whether a submit-phase marker fires for this submit of this prompt."""
        if self._rng.random() >= fault.probability:
            return False
        key = (provider, prompt, f"{fault.kind}|{fault.on}|{sorted(fault.params.items())}")
        with self._lock:
            fired = self._marker_fired.get(key, 0)
            if fault.times is not None and fired >= fault.times:
                return False
            self._marker_fired[key] = fired + 1
            return True


def take_first(faults: list[Fault], phase: Phase, kinds: frozenset[FaultKind]) -> Fault | None:
    """Consume the first live fault of `kinds` at `phase` from a task's or file's own list."""
    for fault in faults:
        if fault.kind in kinds and fault.on is phase and not fault.spent:
            fault.fired += 1
            return fault
    return None
