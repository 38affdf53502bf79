"""The character picker: drag and drop, a file dialog, sample characters and earlier inputs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragLeaveEvent,
    QDropEvent,
    QIcon,
    QImage,
    QPainter,
    QPainterPath,
    QPixmap,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.icons import icon, pixmap
from desktop.theme import SAMPLES_DIR, Colors, set_state

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
PREVIEW_SIZE = QSize(236, 300)
THUMB = 54


class CharacterChoice:
    """A character image: a local file (uploaded on Generate) or an input the service has.
    Mutable: the service's sha256 arrives after the upload, the name as the user types."""

    def __init__(
        self, name: str, image: QImage, path: Path | None = None, sha256: str | None = None
    ) -> None:
        self.name = name
        self.image = image
        self.path = path
        self.sha256 = sha256
        self.key = sha256 or str(path)


def decode_samples() -> list[tuple[Path, QImage]]:
    """The shipped sample characters, decoded (QImage is safe to build on any thread)."""
    decoded = [(path, QImage(str(path))) for path in sorted(SAMPLES_DIR.glob("*.png"))]
    return [(path, image) for path, image in decoded if not image.isNull()]


def name_from_path(path: Path) -> str:
    return path.stem.replace("_", " ").replace("-", " ").strip().title() or "Character"


def rounded(image: QImage, size: QSize, radius: float) -> QPixmap:
    """Cover-crop the image into `size` with rounded corners (hi-dpi safe)."""
    ratio = 2.0
    target = QSize(round(size.width() * ratio), round(size.height() * ratio))
    scaled = image.scaled(
        target,
        Qt.AspectRatioMode.KeepAspectRatioByExpanding,
        Qt.TransformationMode.SmoothTransformation,
    )
    out = QPixmap(target)
    out.fill(Qt.GlobalColor.transparent)
    painter = QPainter(out)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    clip = QPainterPath()
    clip.addRoundedRect(0, 0, target.width(), target.height(), radius * ratio, radius * ratio)
    painter.setClipPath(clip)
    painter.drawImage(
        (target.width() - scaled.width()) // 2, (target.height() - scaled.height()) // 2, scaled
    )
    painter.end()
    out.setDevicePixelRatio(ratio)
    return out


def image_paths(event: QDragEnterEvent | QDropEvent) -> list[Path]:
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
    return [p for p in paths if p.suffix.lower() in IMAGE_SUFFIXES]


class DropZone(QFrame):
    """The big image well: empty state, drag highlight, or the chosen character."""

    file_dropped = Signal(Path)
    browse_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DropZone")
        self.setAcceptDrops(True)
        self.setFixedSize(PREVIEW_SIZE.width() + 16, PREVIEW_SIZE.height() + 16)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        self.image = QLabel(self)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.hide()
        layout.addWidget(self.image)

        self.empty = QWidget(self)
        empty = QVBoxLayout(self.empty)
        empty.setSpacing(8)
        empty.addStretch(1)
        glyph = QLabel(self.empty)
        glyph.setPixmap(pixmap("user", Colors.FAINT, 44))
        glyph.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty.addWidget(glyph)
        title = QLabel("Add a character", self.empty)
        title.setObjectName("DropTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty.addWidget(title)
        hint = QLabel("Drop an image here, or choose a file. PNG, JPEG or WebP.", self.empty)
        hint.setObjectName("DropHint")
        hint.setWordWrap(True)
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty.addWidget(hint)
        self.browse = QPushButton("Choose image…", self.empty)
        self.browse.setObjectName("SecondaryButton")
        self.browse.setIcon(icon("upload", Colors.TEXT, 16))
        self.browse.clicked.connect(self.browse_requested)
        empty.addWidget(self.browse, 0, Qt.AlignmentFlag.AlignHCenter)
        empty.addStretch(1)
        layout.addWidget(self.empty)

    def show_image(self, image: QImage | None) -> None:
        set_state(self, "filled", image is not None)
        self.empty.setVisible(image is None)
        self.image.setVisible(image is not None)
        if image is not None:
            self.image.setPixmap(rounded(image, PREVIEW_SIZE, 10))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if image_paths(event):
            set_state(self, "drag", True)
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        set_state(self, "drag", False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        set_state(self, "drag", False)
        paths = image_paths(event)
        if paths:
            event.acceptProposedAction()
            self.file_dropped.emit(paths[0])


class CharacterPicker(QWidget):
    character_changed = Signal(object)  # CharacterChoice
    error = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choice: CharacterChoice | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        caption = QLabel("CHARACTER", self)
        caption.setObjectName("SectionLabel")
        layout.addWidget(caption)
        self.zone = DropZone(self)
        self.zone.file_dropped.connect(self.choose_file)
        self.zone.browse_requested.connect(self.browse)
        layout.addWidget(self.zone)

        name_row = QHBoxLayout()
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText("Character name")
        self.name_edit.setMaxLength(200)
        self.name_edit.textEdited.connect(self._renamed)
        name_row.addWidget(self.name_edit, 1)
        self.change = QPushButton(self)
        self.change.setObjectName("IconButton")
        self.change.setIcon(icon("upload", Colors.TEXT, 16))
        self.change.setToolTip("Choose another image")
        self.change.clicked.connect(self.browse)
        name_row.addWidget(self.change)
        layout.addLayout(name_row)

        self._thumbs: dict[str, tuple[QToolButton, CharacterChoice]] = {}
        self._samples_loaded = False
        self.samples_caption = QLabel("SAMPLES", self)
        self.samples_caption.setObjectName("SectionLabel")
        layout.addWidget(self.samples_caption)
        self.samples_row = QHBoxLayout()
        self.samples_row.setSpacing(6)
        layout.addLayout(self.samples_row)
        self.earlier_caption = QLabel("EARLIER INPUTS", self)
        self.earlier_caption.setObjectName("SectionLabel")
        layout.addWidget(self.earlier_caption)
        self.earlier_row = QHBoxLayout()
        self.earlier_row.setSpacing(6)
        layout.addLayout(self.earlier_row)
        self.earlier_caption.hide()
        layout.addStretch(1)
        self._update_name_row()

    def load_samples(self, decoded: list[tuple[Path, QImage]] | None = None) -> None:
        """Show the shipped sample characters; `decoded` from `decode_samples()` (run it off
        the UI thread: three PNGs are tens of ms), else they are decoded here."""
        if self._samples_loaded:
            return
        self._samples_loaded = True
        for path, image in decode_samples() if decoded is None else decoded:
            self._add_thumb(self.samples_row, CharacterChoice(name_from_path(path), image, path))
        self.samples_row.addStretch(1)

    # -- choosing ---------------------------------------------------------------------------

    def browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose a character image", "", "Images (*.png *.jpg *.jpeg *.webp)"
        )
        if path:
            self.choose_file(Path(path))

    def choose_file(self, path: Path) -> None:
        image = QImage(str(path))
        if image.isNull():
            self.error.emit(f"{path.name} is not an image Reelcraft can read.")
            return
        self.set_choice(CharacterChoice(name_from_path(path), image, path))

    def set_choice(self, choice: CharacterChoice | None) -> None:
        self.choice = choice
        self.zone.show_image(choice.image if choice else None)
        self.name_edit.setText(choice.name if choice else "")
        for key, (button, _) in self._thumbs.items():
            button.setChecked(choice is not None and key == choice.key)
        self._update_name_row()
        self.character_changed.emit(choice)

    def mark_uploaded(self, sha256: str) -> None:
        """The service has the image now; later picks of it need no new upload."""
        if self.choice is not None:
            self.choice.sha256 = sha256

    def set_earlier_inputs(self, inputs: list[CharacterChoice]) -> None:
        for key in [k for k, (_, c) in self._thumbs.items() if c.sha256 and not c.path]:
            button, _ = self._thumbs.pop(key)
            button.deleteLater()
        while self.earlier_row.count():
            item = self.earlier_row.takeAt(0)
            del item
        for choice in inputs[:8]:
            self._add_thumb(self.earlier_row, choice)
        self.earlier_row.addStretch(1)
        self.earlier_caption.setVisible(bool(inputs))

    @property
    def character_name(self) -> str:
        return self.name_edit.text().strip()

    # -- internals --------------------------------------------------------------------------

    def _add_thumb(self, row: QHBoxLayout, choice: CharacterChoice) -> None:
        button = QToolButton(self)
        button.setObjectName("InputThumb")
        button.setCheckable(True)
        button.setIcon(QIcon(rounded(choice.image, QSize(THUMB - 6, THUMB - 6), 6)))
        button.setIconSize(QSize(THUMB - 6, THUMB - 6))
        button.setFixedSize(THUMB, THUMB)
        button.setToolTip(choice.name)
        button.clicked.connect(lambda: self.set_choice(choice))
        row.addWidget(button)
        self._thumbs[choice.key] = (button, choice)

    def _renamed(self, text: str) -> None:
        if self.choice is not None:
            self.choice.name = text.strip()

    def _update_name_row(self) -> None:
        has = self.choice is not None
        self.name_edit.setVisible(has)
        self.change.setVisible(has)
