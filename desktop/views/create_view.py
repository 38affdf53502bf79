"""The Create Video Post screen (SPEC section 2), a thin view over CreateViewModel."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.theme import set_state
from desktop.viewmodels.create_vm import (
    BalanceState,
    CreateViewModel,
    GenerateState,
    ModelCard,
    PromptState,
)
from desktop.views.cards import ModelCardWidget
from desktop.views.character_picker import CharacterChoice, CharacterPicker
from desktop.views.segmented import SegmentedControl
from desktop.views.spinner import BusyButton
from shared.limits import MAX_PROMPT_CHARS

PROMPT_PLACEHOLDER = (
    "Describe the scene: what the character does, the mood, the camera. Optional: leave it "
    "empty and Reelcraft writes one from the character."
)


class CreateView(QWidget):
    generate_clicked = Signal()
    get_credits_requested = Signal(str)  # model id, or "" from the balance link
    model_clicked = Signal(str)
    duration_toggled = Signal(int)
    resolution_toggled = Signal(str, str)
    prompt_entered = Signal(int)  # prompt length (never the text: SPEC 8)
    character_changed = Signal(object)  # CharacterChoice | None

    def __init__(self, vm: CreateViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        self.setObjectName("Page")
        self.cards: dict[str, ModelCardWidget] = {}
        self._last_prompt_reported = ""

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget(scroll)
        body.setObjectName("ScrollBody")
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)

        page = QVBoxLayout(body)
        page.setContentsMargins(32, 26, 32, 20)
        page.setSpacing(18)
        title = QLabel("Create Video Post", body)
        title.setObjectName("PageTitle")
        subtitle = QLabel(
            "Pick a character, describe the scene and compare models side by side.", body
        )
        subtitle.setObjectName("PageSubtitle")
        heading = QVBoxLayout()
        heading.setSpacing(2)
        heading.addWidget(title)
        heading.addWidget(subtitle)
        page.addLayout(heading)

        columns = QHBoxLayout()
        columns.setSpacing(28)
        self.picker = CharacterPicker(body)
        self.picker.setFixedWidth(256)
        self.picker.character_changed.connect(self._character_changed)
        columns.addWidget(self.picker, 0, Qt.AlignmentFlag.AlignTop)

        right = QVBoxLayout()
        right.setSpacing(10)
        prompt_head = QHBoxLayout()
        prompt_caption = QLabel("PROMPT", body)
        prompt_caption.setObjectName("SectionLabel")
        prompt_head.addWidget(prompt_caption)
        prompt_head.addStretch(1)
        self.counter = QLabel(f"0 / {MAX_PROMPT_CHARS}", body)
        self.counter.setObjectName("PromptCounter")
        prompt_head.addWidget(self.counter)
        right.addLayout(prompt_head)
        self.prompt = QPlainTextEdit(body)
        self.prompt.setObjectName("PromptEdit")
        self.prompt.setPlaceholderText(PROMPT_PLACEHOLDER)
        self.prompt.setFixedHeight(92)
        self.prompt.setTabChangesFocus(True)
        self.prompt.textChanged.connect(self._prompt_edited)
        self.prompt.installEventFilter(self)
        right.addWidget(self.prompt)
        self.prompt_error = QLabel(body)
        self.prompt_error.setObjectName("PromptError")
        self.prompt_error.hide()
        right.addWidget(self.prompt_error)
        right.addSpacing(6)

        model_head = QHBoxLayout()
        model_caption = QLabel("MODEL", body)
        model_caption.setObjectName("SectionLabel")
        model_head.addWidget(model_caption)
        model_head.addStretch(1)
        duration_caption = QLabel("Duration", body)
        duration_caption.setObjectName("Muted")
        model_head.addWidget(duration_caption)
        self.duration = SegmentedControl([], parent=body)
        self.duration.changed.connect(self._duration_clicked)
        model_head.addWidget(self.duration)
        right.addLayout(model_head)

        self.cards_row = QHBoxLayout()
        self.cards_row.setSpacing(14)
        right.addLayout(self.cards_row)
        right.addSpacing(8)
        # Progress panels of running jobs go here (filled by the main window).
        self.jobs_area = QVBoxLayout()
        self.jobs_area.setSpacing(10)
        right.addLayout(self.jobs_area)
        right.addStretch(1)
        columns.addLayout(right, 1)
        page.addLayout(columns, 1)

        outer.addWidget(self._bottom_bar())

        vm.cards_reset.connect(self._rebuild_cards)
        vm.card_changed.connect(self._card_changed)
        vm.durations_changed.connect(self._durations_changed)
        vm.duration_changed.connect(lambda d: self.duration.set_value(str(d)))
        vm.balance_changed.connect(self._balance_changed)
        vm.prompt_changed.connect(self._prompt_state)
        vm.generate_changed.connect(self._generate_state)
        self._durations_changed(vm.durations)
        self.duration.set_value(str(vm.duration))
        self._rebuild_cards()
        self._balance_changed(vm.balance)
        self._prompt_state(vm.prompt)
        self._generate_state(vm.generate)

    def _bottom_bar(self) -> QFrame:
        bar = QFrame(self)
        bar.setObjectName("BottomBar")
        row = QHBoxLayout(bar)
        row.setContentsMargins(32, 14, 32, 14)
        row.setSpacing(12)
        balance = QVBoxLayout()
        balance.setSpacing(0)
        caption = QLabel("Your balance", bar)
        caption.setObjectName("BalanceCaption")
        balance.addWidget(caption)
        self.balance_label = QLabel(bar)
        self.balance_label.setObjectName("BalanceValue")
        balance.addWidget(self.balance_label)
        row.addLayout(balance)
        self.balance_link = QPushButton("Get Credits", bar)
        self.balance_link.setObjectName("LinkButton")
        self.balance_link.setCursor(Qt.CursorShape.PointingHandCursor)
        self.balance_link.clicked.connect(lambda: self.get_credits_requested.emit(""))
        self.balance_link.hide()
        row.addWidget(self.balance_link, 0, Qt.AlignmentFlag.AlignBottom)
        row.addStretch(1)
        self.hint = QLabel(bar)
        self.hint.setObjectName("GenerateHint")
        row.addWidget(self.hint)
        self.generate_button = BusyButton("Generate Video", bar)
        self.generate_button.setObjectName("GenerateButton")
        self.generate_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.generate_button.clicked.connect(self._generate)
        row.addWidget(self.generate_button)
        return bar

    # -- view-model -> widgets --------------------------------------------------------------

    def _rebuild_cards(self) -> None:
        for widget in self.cards.values():
            self.cards_row.removeWidget(widget)
            widget.deleteLater()
        self.cards = {}
        for listing in self.vm.listings:
            card = ModelCardWidget(listing, self)
            card.clicked.connect(self.model_clicked)
            card.get_credits.connect(self.get_credits_requested)
            card.resolution_changed.connect(self.resolution_toggled)
            self.cards_row.addWidget(card)
            card.show()
            self.cards[listing.model] = card
        for card_data in self.vm.cards:
            self.cards[card_data.model].update_card(card_data)

    def _card_changed(self, index: int, card: ModelCard) -> None:
        widget = self.cards.get(card.model)
        if widget is not None:
            widget.update_card(card)

    def _durations_changed(self, durations: list[int]) -> None:
        self.duration.set_options([(str(d), f"{d} s") for d in durations])
        self.duration.set_value(str(self.vm.duration))

    def _balance_changed(self, state: BalanceState) -> None:
        self.balance_label.setText(state.text)
        set_state(self.balance_label, "short", state.short)
        self.balance_link.setVisible(state.short)

    def _prompt_state(self, state: PromptState) -> None:
        self.counter.setText(state.counter)
        set_state(self.counter, "error", state.over_limit)
        set_state(self.prompt, "error", state.over_limit)
        self.prompt_error.setVisible(state.over_limit)
        if state.over_limit:
            over = state.length - MAX_PROMPT_CHARS
            self.prompt_error.setText(
                f"Prompts can be at most {MAX_PROMPT_CHARS} characters. Remove {over} to continue."
            )

    def _generate_state(self, state: GenerateState) -> None:
        self.generate_button.setText(state.text)
        self.generate_button.setEnabled(state.enabled)
        self.generate_button.set_busy(state.busy)
        self.hint.setText(state.hint)

    # -- user -> signals --------------------------------------------------------------------

    def _prompt_edited(self) -> None:
        self.vm.set_prompt_length(len(self.prompt.toPlainText()))

    def _duration_clicked(self, key: str) -> None:
        self.duration_toggled.emit(int(key))

    def _character_changed(self, choice: CharacterChoice | None) -> None:
        self.vm.set_has_character(choice is not None)
        self.character_changed.emit(choice)

    def _generate(self) -> None:
        self.report_prompt()
        self.generate_clicked.emit()

    def report_prompt(self) -> None:
        text = self.prompt_text
        if text and text != self._last_prompt_reported:
            self._last_prompt_reported = text
            self.prompt_entered.emit(len(text))

    @property
    def prompt_text(self) -> str:
        return self.prompt.toPlainText().strip()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.prompt and event.type() == QEvent.Type.FocusOut:
            self.report_prompt()
        return super().eventFilter(watched, event)
