"""One model card of the Create screen (seed 000's card content and its four states)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop import formatting
from desktop.icons import icon, pixmap
from desktop.theme import Colors, set_state
from desktop.viewmodels.create_vm import CardState, ModelCard, short_reason
from desktop.views.segmented import SegmentedControl
from shared.price_list import Offer

_BADGE_KINDS = {"best value": "value", "highest quality": "quality", "premium": "premium"}


def _icon_label(name: str, color: str, parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setPixmap(pixmap(name, color, 14))
    label.setFixedSize(16, 16)
    return label


class ModelCardWidget(QFrame):
    clicked = Signal(str)  # model id
    get_credits = Signal(str)
    resolution_changed = Signal(str, str)  # model id, resolution

    def __init__(self, listing: Offer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = listing.model
        self.card: ModelCard | None = None
        self.setObjectName("ModelCard")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setMinimumWidth(240)
        self.setMaximumWidth(340)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setAccessibleName(f"{listing.label} model card")

        root = QVBoxLayout(self)
        root.setContentsMargins(18, 16, 18, 16)
        root.setSpacing(8)

        top = QHBoxLayout()
        self.badge = QLabel(listing.badge or "", self)
        self.badge.setObjectName("Badge")
        set_state(self.badge, "kind", _BADGE_KINDS.get((listing.badge or "").lower(), "other"))
        self.badge.setVisible(bool(listing.badge))
        top.addWidget(self.badge)
        top.addStretch(1)
        self.selected_mark = QLabel("✓ Selected", self)
        self.selected_mark.setObjectName("SelectedMark")
        self.selected_mark.hide()
        top.addWidget(self.selected_mark)
        root.addLayout(top)

        title = QLabel(listing.label, self)
        title.setObjectName("CardTitle")
        root.addWidget(title)
        provider = QLabel(f"by {listing.provider}", self)
        provider.setObjectName("CardProvider")
        root.addWidget(provider)
        description = QLabel(listing.description, self)
        description.setObjectName("CardDescription")
        description.setWordWrap(True)
        description.setMinimumHeight(34)
        root.addWidget(description)

        audio = QHBoxLayout()
        audio.setSpacing(6)
        audio.addWidget(
            _icon_label("volume" if listing.audio else "volume-off", Colors.ACCENT_2, self)
        )
        self.audio_label = QLabel("Audio included" if listing.audio else "No audio", self)
        self.audio_label.setObjectName("CardMeta")
        audio.addWidget(self.audio_label)
        audio.addStretch(1)
        root.addLayout(audio)

        tags = QHBoxLayout()
        tags.setSpacing(6)
        self.quality = QLabel(listing.quality_tag, self)
        self.quality.setObjectName("CardTag")
        tags.addWidget(self.quality)
        tags.addSpacing(6)
        tags.addWidget(_icon_label("clock", Colors.MUTED, self))
        self.estimate = QLabel(formatting.estimate(listing.estimated_render_s), self)
        self.estimate.setObjectName("CardMeta")
        self.estimate.setToolTip("Estimated render time")
        tags.addWidget(self.estimate)
        tags.addStretch(1)
        root.addLayout(tags)

        # Only models sold at several resolutions (Sora) get their own toggle; the cost follows.
        self.resolution_toggle: SegmentedControl | None = None
        if len(listing.resolutions) > 1:
            self.resolution_toggle = SegmentedControl(
                [(r, r) for r in listing.resolutions], compact=True, parent=self
            )
            self.resolution_toggle.set_value(listing.default_resolution)
            self.resolution_toggle.changed.connect(
                lambda r: self.resolution_changed.emit(self.model, r)
            )
            row = QHBoxLayout()
            row.addWidget(self.resolution_toggle)
            row.addStretch(1)
            root.addLayout(row)
        else:
            root.addSpacing(31)  # keeps the cost line aligned across the row
        root.addStretch(1)

        footer = QHBoxLayout()
        footer.setSpacing(6)
        self.cost = QLabel(self)
        self.cost.setObjectName("CardCost")
        footer.addWidget(self.cost, 0, Qt.AlignmentFlag.AlignBottom)
        self.cost_unit = QLabel("credits", self)
        self.cost_unit.setObjectName("CardCostUnit")
        footer.addWidget(self.cost_unit, 0, Qt.AlignmentFlag.AlignBottom)
        footer.addStretch(1)
        self.get_credits_button = QPushButton("Get Credits", self)
        self.get_credits_button.setObjectName("GetCreditsButton")
        self.get_credits_button.setIcon(icon("zap", "#fbbf24", 14))
        self.get_credits_button.clicked.connect(lambda: self.get_credits.emit(self.model))
        self.get_credits_button.hide()
        footer.addWidget(self.get_credits_button)
        root.addLayout(footer)

        self.overlay = QWidget(self)
        self.overlay.setObjectName("CardOverlay")
        self.overlay.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.overlay.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        overlay_layout = QVBoxLayout(self.overlay)
        overlay_layout.setContentsMargins(16, 16, 16, 16)
        overlay_layout.addStretch(1)
        notice = QFrame(self.overlay)
        notice.setObjectName("UnavailableNotice")
        notice_layout = QVBoxLayout(notice)
        notice_layout.setContentsMargins(14, 10, 14, 10)
        notice_layout.setSpacing(3)
        self.unavailable_title = QLabel("Temporarily unavailable", notice)
        self.unavailable_title.setObjectName("UnavailableTitle")
        self.unavailable_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        notice_layout.addWidget(self.unavailable_title)
        self.unavailable_reason = QLabel(notice)
        self.unavailable_reason.setObjectName("UnavailableReason")
        self.unavailable_reason.setWordWrap(True)
        self.unavailable_reason.setAlignment(Qt.AlignmentFlag.AlignCenter)
        notice_layout.addWidget(self.unavailable_reason)
        overlay_layout.addWidget(notice)
        overlay_layout.addStretch(1)
        self.overlay.hide()

    # -- state ------------------------------------------------------------------------------

    def update_card(self, card: ModelCard) -> None:
        if card == self.card:
            return
        self.card = card
        set_state(self, "state", card.state.value)
        unavailable = card.state is CardState.UNAVAILABLE
        insufficient = card.state is CardState.INSUFFICIENT_CREDITS
        self.selected_mark.setVisible(card.state is CardState.SELECTED)
        self.cost.setText(f"{card.credits:,}")
        self.cost.setVisible(not insufficient)
        self.cost_unit.setVisible(not insufficient)
        self.get_credits_button.setVisible(insufficient)
        self.get_credits_button.setToolTip(
            f"{card.label} costs {formatting.credits(card.credits)} at this length"
        )
        if self.resolution_toggle is not None:
            self.resolution_toggle.set_value(card.resolution)
        self.overlay.setVisible(unavailable)
        if unavailable:
            self.unavailable_reason.setText(short_reason(card.unavailable_reason))
            self.setToolTip(card.unavailable_reason or "")
            self.overlay.setGeometry(self.rect())
            self.overlay.raise_()
            if self.resolution_toggle is not None:
                # Another resolution may still be offered: keep its toggle usable above the veil.
                self.resolution_toggle.raise_()
        else:
            self.setToolTip("")
        self.setCursor(
            Qt.CursorShape.ForbiddenCursor if unavailable else Qt.CursorShape.PointingHandCursor
        )
        self.setAccessibleDescription(card.state.value.replace("_", " "))

    # -- input ------------------------------------------------------------------------------

    def _activate(self) -> None:
        if self.card is None:
            return
        if self.card.state is CardState.INSUFFICIENT_CREDITS:
            self.get_credits.emit(self.model)  # seed 000: tapping the card opens the purchase
        elif self.card.selectable:
            self.clicked.emit(self.model)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
            event.position().toPoint()
        ):
            self._activate()
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self._activate()
            return
        super().keyPressEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.overlay.setGeometry(self.rect())
        super().resizeEvent(event)
