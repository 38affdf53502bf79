"""Every generation the window knows about, kept current from the bridge's events.

Snapshots (after a reconnect) and stream events can arrive out of order; a version older than
the one held is ignored, so the UI never steps backwards. `finished` fires once per job, when
a job this window watched reaches a terminal state: that drives notifications and toasts.
"""

from __future__ import annotations

from uuid import UUID

from PySide6.QtCore import QObject, Signal

from shared.schemas import Generation


class JobsStore(QObject):
    added = Signal(object)  # Generation
    changed = Signal(object)  # Generation (any newer version, including the first)
    finished = Signal(object)  # Generation that just became ready, failed or cancelled

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: dict[UUID, Generation] = {}

    def apply(self, generation: Generation) -> None:
        old = self._jobs.get(generation.id)
        if old is not None and (generation.updated_at < old.updated_at or generation == old):
            return
        self._jobs[generation.id] = generation
        if old is None:
            self.added.emit(generation)
        self.changed.emit(generation)
        if old is not None and not old.state.is_terminal and generation.state.is_terminal:
            self.finished.emit(generation)

    def get(self, generation_id: UUID) -> Generation | None:
        return self._jobs.get(generation_id)

    def active(self) -> list[Generation]:
        return sorted(
            (g for g in self._jobs.values() if not g.state.is_terminal),
            key=lambda g: g.created_at,
        )

    def all(self) -> list[Generation]:
        return sorted(self._jobs.values(), key=lambda g: g.created_at, reverse=True)

    def __len__(self) -> int:
        return len(self._jobs)
