"""The emulator's provider-neutral core: configuration, tasks and their clock-driven states.

A task's state is computed from the clock (queued for `queue_s`, running for `render_s`,
then its outcome), so polling is cheap and a thousand tasks in flight cost nothing but the
one render they share. Success additionally waits for the real MP4, which is rendered in a
worker thread from the moment of submit; a render that is slower than `render_s` holds the
task at 99 % rather than reporting a file that does not exist yet.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from service.providers.emulator.faults import (
    OUTCOME_FAULTS,
    Fault,
    FaultBook,
    FaultKind,
    Phase,
    markers_in,
    scenario_faults,
    take_first,
)
from service.providers.emulator.files import FileStore
from service.providers.emulator.persist import TaskJournal
from service.providers.emulator.render import RenderCache, RenderError, RenderSpec
from shared.logging import register_secret

DEMO_KEY = "reelcraft-demo-key-0000"
log = logging.getLogger("service.providers.emulator")


def default_render_dir() -> Path:
    """Shared by every emulator on this machine: identical renders are done once.
    `REELCRAFT_EMULATOR_RENDER_DIR` moves it (a cold cache for benchmarks, a CI cache dir)."""
    configured = os.environ.get("REELCRAFT_EMULATOR_RENDER_DIR")
    if configured:
        return Path(configured)
    return Path(tempfile.gettempdir()) / "reelcraft-emulator-renders"


@dataclass
class EmulatorConfig:
    key: str = DEMO_KEY
    queue_s: float = 1.0
    render_s: float = 4.0
    scenario: str | None = None
    public_base_url: str = "http://127.0.0.1:8765"
    render_dir: Path = field(default_factory=default_render_dir)
    url_ttl_s: float = 3600.0
    # Where tasks survive a restart (persist.py); None keeps everything in memory.
    state_dir: Path | None = None
    # Upper bound for a `hang` fault without `seconds`: long enough for any client timeout.
    max_hang_s: float = 600.0

    @property
    def stripe_secret_key(self) -> str:
        return f"sk_test_{self.key}"


class TaskState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (TaskState.SUCCEEDED, TaskState.FAILED, TaskState.CANCELLED)


class Failure(StrEnum):
    CONTENT_POLICY = "content_policy"
    RENDER = "render"


@dataclass(frozen=True)
class Snapshot:
    state: TaskState
    progress: float  # 0..1
    queue_position: int
    failure: Failure | None = None
    message: str = ""


@dataclass
class Task:
    id: str
    provider: str
    model: str
    prompt: str
    spec: RenderSpec
    created: float  # monotonic
    created_epoch: float
    queue_s: float
    render_s: float
    outcome: FaultKind | None  # None: succeeds; else one of OUTCOME_FAULTS
    faults: list[Fault]
    body: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)
    render: asyncio.Future[Path] | None = None
    cancelled_at: float | None = None
    cancelled_epoch: float | None = None
    deleted: bool = False
    finished_epoch: float | None = None
    seq: int = 0  # position among the provider's tasks, in creation order

    @property
    def started_epoch(self) -> float:
        return self.created_epoch + self.queue_s

    def snapshot(self, now: float | None = None) -> Snapshot:
        now = time.monotonic() if now is None else now
        if self.cancelled_at is not None:
            return Snapshot(TaskState.CANCELLED, 0.0, 0, message="cancelled")
        elapsed = now - self.created
        if elapsed < self.queue_s:
            return Snapshot(TaskState.QUEUED, 0.0, 0)
        running = elapsed - self.queue_s
        if running < self.render_s or self.outcome is FaultKind.STUCK:
            progress = min(0.99, running / self.render_s) if self.render_s > 0 else 0.99
            return Snapshot(TaskState.RUNNING, progress, 0)
        if self.outcome is FaultKind.CONTENT_POLICY_AT_RESULT:
            return self._finish(
                TaskState.FAILED,
                Failure.CONTENT_POLICY,
                "The output was flagged by the content checker.",
            )
        if self.outcome is FaultKind.RENDER_FAILURE:
            return self._finish(
                TaskState.FAILED, Failure.RENDER, "The model failed to generate the video."
            )
        if self.outcome is FaultKind.CANCELLED:
            return self._finish(TaskState.CANCELLED, None, "cancelled by the provider")
        if self.render is None or not self.render.done():
            return Snapshot(TaskState.RUNNING, 0.99, 0)
        if self.render.cancelled() or self.render.exception() is not None:
            return self._finish(
                TaskState.FAILED, Failure.RENDER, f"render failed: {self.render.exception()}"
            )
        return self._finish(TaskState.SUCCEEDED, None, "")

    def _finish(self, state: TaskState, failure: Failure | None, message: str) -> Snapshot:
        if self.finished_epoch is None:
            self.finished_epoch = time.time()
        return Snapshot(state, 1.0, 0, failure, message)

    @property
    def video_path(self) -> Path:
        assert self.render is not None and self.render.done()
        return self.render.result()


class EmulatorState:
    """Everything one emulator instance knows; shared by all provider routers."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        register_secret(config.key)
        register_secret(config.stripe_secret_key)
        self.faults = FaultBook()
        for fault in scenario_faults(config.scenario):
            self.faults.add(fault)
        self.tasks: dict[tuple[str, str], Task] = {}
        self._order: defaultdict[str, list[Task]] = defaultdict(list)
        self._max_queue_s = 0.0
        self.renders = RenderCache(config.render_dir)
        self.journal = TaskJournal(config.state_dir) if config.state_dir else None
        self.files = FileStore(self, self.journal.signing_key() if self.journal else None)
        # Other names a provider lets clients use for a task (Kling's external_task_id).
        self.aliases: dict[tuple[str, str], Task] = {}
        self.executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="emulator-render")
        # Set from the thread that stops the server; long waits (hang, streams) watch it.
        self.shutting_down = threading.Event()

    def url(self, path: str) -> str:
        return self.config.public_base_url.rstrip("/") + path

    def get(self, provider: str, task_id: str) -> Task | None:
        task = self.tasks.get((provider, task_id))
        return None if task is None or task.deleted else task

    def queue_position(self, task: Task) -> int:
        """Tasks of the same provider created earlier and still queued. Walks back only
        through tasks young enough to be queued, so a thousand tasks in flight stay cheap."""
        now = time.monotonic()
        order = self._order[task.provider]
        position = 0
        for earlier in reversed(order[: task.seq]):
            if now - earlier.created >= self._max_queue_s:
                break
            if now - earlier.created < earlier.queue_s and earlier.cancelled_at is None:
                position += 1
        return position

    def snapshot(self, task: Task) -> Snapshot:
        snap = task.snapshot()
        if snap.state is TaskState.QUEUED:
            return replace(snap, queue_position=self.queue_position(task))
        return snap

    def create_task(
        self,
        *,
        provider: str,
        model: str,
        prompt: str,
        image: bytes,
        spec: RenderSpec,
        body: dict[str, Any],
        task_id: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Task:
        """Register a task and start its render; the caller has validated the request."""
        markers = markers_in(prompt)
        queue_s, render_s = self.config.queue_s, self.config.render_s
        for fault in markers:
            if fault.kind is FaultKind.TIMING:
                queue_s = fault.param("queue_s", queue_s)
                render_s = fault.param("render_s", render_s)
        # An outcome marker holds for every submit of its prompt unless it says `times=N`:
        # then the Nth+1 re-submit (the runner's automatic retry) renders normally.
        outcome = next(
            (
                f.kind
                for f in markers
                if f.kind in OUTCOME_FAULTS
                and (f.times is None or self.faults.take_marker(provider, prompt, f))
            ),
            None,
        )
        if outcome is None:
            for kind in (
                FaultKind.CONTENT_POLICY_AT_RESULT,
                FaultKind.RENDER_FAILURE,
                FaultKind.CANCELLED,
                FaultKind.STUCK,
            ):
                if self.faults.has_global(provider, kind):
                    outcome = kind
                    break
        task = Task(
            id=task_id or secrets.token_hex(16),
            provider=provider,
            model=model,
            prompt=prompt,
            spec=spec,
            created=time.monotonic(),
            created_epoch=time.time(),
            queue_s=max(0.0, queue_s),
            render_s=max(0.0, render_s),
            outcome=outcome,
            faults=[f for f in markers if f.kind not in OUTCOME_FAULTS],
            body=body,
            extra=extra or {},
        )
        self._register(task, image)
        if self.journal is not None:
            self.journal.append(
                {
                    "event": "create",
                    "provider": provider,
                    "id": task.id,
                    "model": model,
                    "prompt": prompt,
                    "spec": asdict(spec),
                    "created_epoch": task.created_epoch,
                    "queue_s": task.queue_s,
                    "render_s": task.render_s,
                    "outcome": outcome.value if outcome else None,
                    "body": body,
                    "extra": task.extra,
                    "image": self.journal.save_image(image),
                }
            )
        log.info(
            "emulator: %s task %s for %s, %sx%s %gs%s",
            provider,
            task.id,
            model,
            spec.width,
            spec.height,
            spec.duration_s,
            f", outcome {outcome.value}" if outcome else "",
        )
        return task

    def _register(self, task: Task, image: bytes | None) -> None:
        if task.outcome is None:
            loop = asyncio.get_running_loop()
            if image is None:
                task.render = loop.create_future()
                task.render.set_exception(RenderError("the input image was lost"))
            else:
                task.render = loop.run_in_executor(
                    self.executor, self.renders.get_or_render, image, task.spec
                )
        self.tasks[(task.provider, task.id)] = task
        task.seq = len(self._order[task.provider])
        self._order[task.provider].append(task)
        self._max_queue_s = max(self._max_queue_s, task.queue_s)
        alias = task.extra.get("external_task_id")
        if alias:
            self.aliases[(task.provider, str(alias))] = task

    def restore(self) -> int:
        """Reload journalled tasks (call on the running loop, before serving)."""
        if self.journal is None:
            return 0
        records = self.journal.replay()
        now, mono = time.time(), time.monotonic()
        for rec in records:
            try:
                outcome = FaultKind(rec["outcome"]) if rec.get("outcome") else None
                task = Task(
                    id=rec["id"],
                    provider=rec["provider"],
                    model=rec["model"],
                    prompt=rec["prompt"],
                    spec=RenderSpec(**rec["spec"]),
                    created=mono - (now - rec["created_epoch"]),
                    created_epoch=rec["created_epoch"],
                    queue_s=rec["queue_s"],
                    render_s=rec["render_s"],
                    outcome=outcome,
                    faults=[f for f in markers_in(rec["prompt"]) if f.kind not in OUTCOME_FAULTS],
                    body=rec.get("body") or {},
                    extra=rec.get("extra") or {},
                    deleted=bool(rec.get("deleted")),
                )
            except (KeyError, TypeError, ValueError) as exc:
                log.warning("emulator journal: skipping a task record (%s)", exc)
                continue
            if rec.get("cancelled_epoch"):
                task.cancelled_epoch = rec["cancelled_epoch"]
                task.cancelled_at = mono - (now - task.cancelled_epoch)
            self._register(task, self.journal.load_image(rec.get("image", "")))
        log.info("emulator: restored %d tasks from %s", len(records), self.journal.directory)
        return len(records)

    def cancel(self, task: Task) -> bool:
        """Cancel a task that has not finished; False if it already had."""
        if self.snapshot(task).state.terminal:
            return False
        task.cancelled_at = time.monotonic()
        task.cancelled_epoch = time.time()
        self._journal_update(task, cancelled_epoch=task.cancelled_epoch)
        return True

    def delete(self, task: Task) -> None:
        task.deleted = True
        self._journal_update(task, deleted=True)

    def _journal_update(self, task: Task, **fields: object) -> None:
        if self.journal is not None:
            self.journal.append(
                {"event": "update", "provider": task.provider, "id": task.id, **fields}
            )

    def submit_marker_fault(
        self, provider: str, prompt: str, kinds: frozenset[FaultKind]
    ) -> Fault | None:
        """A submit-phase marker in the prompt that fires for this submit, if any."""
        for fault in markers_in(prompt):
            if (
                fault.kind in kinds
                and fault.on is Phase.SUBMIT
                and self.faults.take_marker(provider, prompt, fault)
            ):
                return fault
        return None

    def task_fault(self, task: Task, phase: Phase, kinds: frozenset[FaultKind]) -> Fault | None:
        return take_first(task.faults, phase, kinds) or self.faults.take_global(
            task.provider, phase, kinds
        )

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
