"""The Library: the user's generations as thumbnails, filtered by status, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.icons import pixmap
from desktop.theme import Colors
from desktop.views.character_picker import rounded
from desktop.views.labels import POST_LABELS
from desktop.views.progress import STATUS, Describe
from shared.schemas import Generation
from shared.states import JobState, PostState

THUMB = QSize(150, 200)
PAGE_SIZE = 24


@dataclass(frozen=True)
class LibraryFilter:
    label: str
    states: list[JobState] = field(default_factory=list)
    post_states: list[PostState] = field(default_factory=list)


FILTERS = [
    LibraryFilter("All videos"),
    LibraryFilter("Ready to publish", [JobState.READY], [PostState.DRAFT]),
    LibraryFilter(
        "Rendering",
        [JobState.QUEUED, JobState.SUBMITTING, JobState.RUNNING, JobState.DOWNLOADING],
    ),
    LibraryFilter("In review", [], [PostState.IN_REVIEW]),
    LibraryFilter("Published", [], [PostState.APPROVED]),
    LibraryFilter("Failed", [JobState.FAILED]),
    LibraryFilter("Cancelled", [JobState.CANCELLED]),
    LibraryFilter("Discarded", [], [PostState.DISCARDED]),
]


def status_text(generation: Generation) -> str:
    if generation.state is JobState.READY:
        return POST_LABELS[generation.post_state]
    return STATUS[generation.state]


def _placeholder() -> QPixmap:
    image = QPixmap(THUMB * 2)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor("#10131a"))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(0, 0, image.width(), image.height(), 16, 16)
    glyph = pixmap("film", Colors.FAINT, 40)
    painter.drawPixmap(
        (image.width() - glyph.width()) // 2, (image.height() - glyph.height()) // 2, glyph
    )
    painter.end()
    image.setDevicePixelRatio(2.0)
    return image


def dimmed(image: QImage) -> QImage:
    """The character of a video that is not (or no longer) there: greyed out."""
    grey = image.convertToFormat(QImage.Format.Format_Grayscale8).convertToFormat(
        QImage.Format.Format_ARGB32
    )
    painter = QPainter(grey)
    painter.fillRect(grey.rect(), QColor(13, 15, 20, 150))
    painter.end()
    return grey


class LibraryView(QWidget):
    load_requested = Signal(object, object)  # LibraryFilter, cursor (None: first page)
    preview_requested = Signal(object)  # generation id

    def __init__(self, describe: Describe, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Page")
        self._describe = describe
        self._items: dict[UUID, QListWidgetItem] = {}
        self._cursor: str | None = None
        self._placeholder = _placeholder()
        self.page_size = PAGE_SIZE
        page = QVBoxLayout(self)
        page.setContentsMargins(32, 26, 32, 24)
        page.setSpacing(12)
        head = QHBoxLayout()
        title = QLabel("Library", self)
        title.setObjectName("PageTitle")
        head.addWidget(title)
        head.addStretch(1)
        self.filter = QComboBox(self)
        for option in FILTERS:
            self.filter.addItem(option.label)
        self.filter.setMinimumWidth(200)
        self.filter.currentIndexChanged.connect(lambda _: self.reload())
        head.addWidget(self.filter)
        page.addLayout(head)
        subtitle = QLabel("Every video you generated. Double-click one to preview it.", self)
        subtitle.setObjectName("PageSubtitle")
        page.addWidget(subtitle)
        self.grid = QListWidget(self)
        self.grid.setObjectName("LibraryGrid")
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setIconSize(THUMB)
        self.grid.setGridSize(QSize(THUMB.width() + 40, THUMB.height() + 78))
        self.grid.setWordWrap(True)
        self.grid.setSpacing(6)
        self.grid.setUniformItemSizes(True)
        self.grid.itemDoubleClicked.connect(self._open)
        page.addWidget(self.grid, 1)
        self.empty = QLabel("No videos here yet.", self)
        self.empty.setObjectName("EmptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()
        page.addWidget(self.empty)
        footer = QHBoxLayout()
        self.count = QLabel(self)
        self.count.setObjectName("Muted")
        footer.addWidget(self.count)
        footer.addStretch(1)
        self.more = QPushButton("Load more", self)
        self.more.setObjectName("SecondaryButton")
        self.more.clicked.connect(
            lambda: self.load_requested.emit(self.current_filter, self._cursor)
        )
        self.more.hide()
        footer.addWidget(self.more)
        page.addLayout(footer)

    @property
    def current_filter(self) -> LibraryFilter:
        return FILTERS[max(0, self.filter.currentIndex())]

    def reload(self) -> None:
        self.load_requested.emit(self.current_filter, None)

    def set_page(self, items: list[Generation], next_cursor: str | None, *, append: bool) -> None:
        if not append:
            self.grid.clear()
            self._items = {}
        for generation in items:
            self._add(generation)
        self._cursor = next_cursor
        self.more.setVisible(next_cursor is not None)
        shown = self.grid.count()
        self.count.setText(
            f"{shown} video{'s' if shown != 1 else ''}" + (" so far" if next_cursor else "")
        )
        self.empty.setVisible(shown == 0)
        self.grid.setVisible(shown > 0)

    def update_generation(self, generation: Generation) -> None:
        item = self._items.get(generation.id)
        if item is not None:
            item.setText(self._text(generation))
            item.setData(Qt.ItemDataRole.UserRole + 1, generation.state.value)

    def set_thumbnail(self, generation_id: UUID, image: QImage, *, dim: bool = False) -> None:
        item = self._items.get(generation_id)
        if item is not None:
            item.setIcon(QIcon(rounded(dimmed(image) if dim else image, THUMB, 8)))

    def item_ids(self) -> list[UUID]:
        return list(self._items)

    def _add(self, generation: Generation) -> None:
        if generation.id in self._items:
            return
        item = QListWidgetItem(QIcon(self._placeholder), self._text(generation))
        item.setData(Qt.ItemDataRole.UserRole, str(generation.id))
        item.setData(Qt.ItemDataRole.UserRole + 1, generation.state.value)
        item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.grid.addItem(item)
        self._items[generation.id] = item

    def _text(self, generation: Generation) -> str:
        label, _ = self._describe(generation.request.model)
        name = generation.request.character_name or "Character"
        return f"{name} · {label}\n{generation.request.duration_s} s · {status_text(generation)}"

    def _open(self, item: QListWidgetItem) -> None:
        if item.data(Qt.ItemDataRole.UserRole + 1) == JobState.READY.value:
            self.preview_requested.emit(UUID(str(item.data(Qt.ItemDataRole.UserRole))))
