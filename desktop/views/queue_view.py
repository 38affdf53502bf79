"""The Queue: a progress panel for every running job and a table of every job this session
knows, newest first (double-click a finished one to preview it)."""

from __future__ import annotations

from uuid import UUID

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.theme import Colors
from desktop.views.progress import STATUS, Describe, ProgressList
from shared.schemas import Generation
from shared.states import JobState

COLUMNS = ["Started", "Character", "Model", "Length", "Status", "Credits"]
STATE_COLOURS = {
    JobState.READY: Colors.SUCCESS,
    JobState.FAILED: Colors.DANGER,
    JobState.CANCELLED: Colors.MUTED,
}
MAX_ROWS = 200


class QueueView(QWidget):
    preview_requested = Signal(object)  # generation id

    def __init__(self, progress: ProgressList, describe: Describe, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("Page")
        self._describe = describe
        self._rows: dict[UUID, int] = {}
        self._order: list[Generation] = []
        page = QVBoxLayout(self)
        page.setContentsMargins(32, 26, 32, 24)
        page.setSpacing(12)
        title = QLabel("Queue", self)
        title.setObjectName("PageTitle")
        page.addWidget(title)
        subtitle = QLabel(
            "Jobs keep rendering when you leave this screen or close the window.", self
        )
        subtitle.setObjectName("PageSubtitle")
        page.addWidget(subtitle)
        page.addSpacing(8)
        self.running_caption = QLabel("RENDERING NOW", self)
        self.running_caption.setObjectName("SectionLabel")
        page.addWidget(self.running_caption)
        self.progress = progress
        progress.setParent(self)
        page.addWidget(progress)
        self.empty = QLabel("Nothing is rendering. Create a video to see it here.", self)
        self.empty.setObjectName("EmptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        page.addWidget(self.empty)
        caption = QLabel("ALL JOBS", self)
        caption.setObjectName("SectionLabel")
        page.addSpacing(8)
        page.addWidget(caption)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("QueueTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.cellDoubleClicked.connect(self._double_clicked)
        page.addWidget(self.table, 1)
        self._sync_empty()

    def apply(self, generation: Generation) -> None:
        if not generation.state.is_terminal:
            self.progress.show_job(generation)
        else:
            self.progress.update_job(generation)
        row = self._rows.get(generation.id)
        if row is None:
            self._insert(generation)
        else:
            self._order[row] = generation
            self._fill(row, generation)
        self._sync_empty()

    def _insert(self, generation: Generation) -> None:
        # Newest first; jobs usually arrive newest-last, so a sorted insert keeps it stable.
        index = 0
        while index < len(self._order) and self._order[index].created_at > generation.created_at:
            index += 1
        self._order.insert(index, generation)
        del self._order[MAX_ROWS:]
        self.table.insertRow(index)
        if self.table.rowCount() > MAX_ROWS:
            self.table.removeRow(self.table.rowCount() - 1)
        self._rows = {g.id: i for i, g in enumerate(self._order)}
        if index < len(self._order):
            self._fill(index, generation)

    def _fill(self, row: int, generation: Generation) -> None:
        label, _ = self._describe(generation.request.model)
        status = STATUS[generation.state]
        if generation.state is JobState.RUNNING and generation.progress:
            status += f" · {generation.progress:.0f}%"
        credits = generation.credits_charged or generation.credits_reserved
        values = [
            generation.created_at.astimezone().strftime("%d %b %H:%M"),
            generation.request.character_name or "—",
            label,
            f"{generation.request.duration_s} s {generation.request.resolution or ''}".strip(),
            status,
            f"{credits:,}" if generation.state is not JobState.FAILED else "refunded",
        ]
        for column, value in enumerate(values):
            item = self.table.item(row, column)
            if item is None:
                item = QTableWidgetItem()
                self.table.setItem(row, column, item)
            item.setText(value)
            item.setData(Qt.ItemDataRole.UserRole, str(generation.id))
        colour = STATE_COLOURS.get(generation.state)
        status_item = self.table.item(row, 4)
        if status_item is not None:
            status_item.setForeground(QColor(colour or Colors.TEXT))

    def _double_clicked(self, row: int, _column: int) -> None:
        if 0 <= row < len(self._order) and self._order[row].state is JobState.READY:
            self.preview_requested.emit(self._order[row].id)

    def _sync_empty(self) -> None:
        self.empty.setVisible(not self.progress.panels)

    def row_of(self, generation_id: UUID) -> int | None:
        return self._rows.get(generation_id)
