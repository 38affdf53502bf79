"""The Create Video Post screen as data (SPEC section 2): cards, balance, prompt, Generate.

Inputs arrive from the user (duration, resolution, selection, prompt, character) and from the
service (listings with live availability, balance, connection). Every input change recomputes
the whole screen, which is cheap (a handful of dict lookups per card), and only what really
changed is emitted, so widgets repaint only the card whose price or state moved.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from PySide6.QtCore import QObject, Signal

from desktop import formatting
from shared.limits import MAX_PROMPT_CHARS
from shared.price_list import Offer, Price, PriceList


class CardState(StrEnum):
    DEFAULT = "default"
    SELECTED = "selected"
    INSUFFICIENT_CREDITS = "insufficient_credits"
    UNAVAILABLE = "unavailable"


class ModelCard(NamedTuple):
    """One model card on the Create screen, derived purely from data."""

    model: str
    label: str
    provider: str
    badge: str | None
    audio: bool
    quality_tag: str
    estimated_render_s: int
    resolutions: tuple[str, ...]
    resolution: str
    credits: int
    state: CardState
    selectable: bool
    unavailable_reason: str | None = None


class PromptState(NamedTuple):
    length: int
    over_limit: bool

    @property
    def counter(self) -> str:
        return f"{self.length} / {MAX_PROMPT_CHARS}"


class BalanceState(NamedTuple):
    """`available` is None until the service has answered ("connecting")."""

    available: int | None
    short: bool
    text: str


class GenerateState(NamedTuple):
    enabled: bool
    busy: bool
    text: str
    hint: str
    credits: int | None


def short_reason(reason: str | None) -> str:
    """The card shows the first clause; the full reason goes in its tooltip."""
    if not reason:
        return ""
    return reason.split(":", 1)[0].strip()


class CreateViewModel(QObject):
    cards_reset = Signal()  # the set of models changed: rebuild the card widgets
    card_changed = Signal(int, object)  # index, ModelCard
    durations_changed = Signal(list)  # offered durations, in order
    duration_changed = Signal(int)
    balance_changed = Signal(object)  # BalanceState
    prompt_changed = Signal(object)  # PromptState
    generate_changed = Signal(object)  # GenerateState

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._listings: list[Offer] = []
        self._by_model: dict[str, Offer] = {}
        self._quotes: dict[tuple[str, int, str], Price] = {}
        self._generation_enabled = True
        self._durations: list[int] = []
        self._duration = 5
        self._resolution: dict[str, str] = {}
        self._selected: str | None = None
        self._balance: int | None = None
        self._prompt_len = 0
        self._has_character = False
        self._connected = False
        self._submitting = False
        self._cards: list[ModelCard] = []
        self._balance_state = BalanceState(None, False, "")
        self._prompt_state = PromptState(0, False)
        self._generate_state = GenerateState(False, False, "", "", None)

    # -- inputs -----------------------------------------------------------------------------

    def set_price_list(self, price_list: PriceList) -> None:
        """Load (or refresh from the service) the models; keeps the user's choices. The book's
        default model and duration apply to the first load only."""
        first_load = not self._listings
        old_models = [m.model for m in self._listings]
        self._listings = list(price_list.offers)
        self._by_model = {m.model: m for m in self._listings}
        self._quotes = {
            (m.model, q.duration_s, q.resolution): q for m in self._listings for q in m.prices
        }
        self._generation_enabled = price_list.generation_enabled
        for m in self._listings:
            if self._resolution.get(m.model) not in m.resolutions:
                self._resolution[m.model] = m.default_resolution
        durations = sorted({d for m in self._listings for d in m.durations})
        if first_load:
            if price_list.default_duration in durations:
                self._duration = price_list.default_duration
            if price_list.default_model in self._by_model:
                self._selected = price_list.default_model  # seed 000: Kling 2.6 pre-selected
        if self._durations != durations:
            self._durations = durations
            self.durations_changed.emit(durations)
        if self._duration not in durations and durations:
            self._duration = durations[0]
            self.duration_changed.emit(self._duration)
        if self._selected not in self._by_model:
            self._selected = None
        if old_models != [m.model for m in self._listings]:
            self._cards = []
            self.cards_reset.emit()
        self._recompute()

    def set_duration(self, duration_s: int) -> None:
        if duration_s == self._duration or duration_s not in self._durations:
            return
        self._duration = duration_s
        self.duration_changed.emit(duration_s)
        self._recompute()

    def set_resolution(self, model: str, resolution: str) -> None:
        listing = self._by_model.get(model)
        if listing is None or resolution not in listing.resolutions:
            return
        if self._resolution.get(model) != resolution:
            self._resolution[model] = resolution
            self._recompute()

    def select(self, model: str) -> bool:
        """Select a card; False if it is not selectable (unavailable or unaffordable)."""
        card = self.card(model)
        if card is None or not card.selectable:
            return False
        if self._selected != model:
            self._selected = model
            self._recompute()
        return True

    def set_balance(self, available: int | None) -> None:
        if available != self._balance:
            self._balance = available
            self._recompute()

    def set_prompt_length(self, length: int) -> None:
        if length != self._prompt_len:
            self._prompt_len = length
            self._recompute()

    def set_has_character(self, has: bool) -> None:
        if has != self._has_character:
            self._has_character = has
            self._recompute()

    def set_connected(self, connected: bool) -> None:
        if connected != self._connected:
            self._connected = connected
            self._recompute()

    def set_submitting(self, submitting: bool) -> None:
        if submitting != self._submitting:
            self._submitting = submitting
            self._recompute()

    # -- outputs ----------------------------------------------------------------------------

    @property
    def cards(self) -> list[ModelCard]:
        return list(self._cards)

    @property
    def listings(self) -> list[Offer]:
        return list(self._listings)

    def listing(self, model: str) -> Offer | None:
        return self._by_model.get(model)

    def card(self, model: str) -> ModelCard | None:
        return next((c for c in self._cards if c.model == model), None)

    @property
    def durations(self) -> list[int]:
        return list(self._durations)

    @property
    def duration(self) -> int:
        return self._duration

    @property
    def selected(self) -> str | None:
        return self._selected

    @property
    def selected_card(self) -> ModelCard | None:
        return self.card(self._selected) if self._selected else None

    @property
    def balance(self) -> BalanceState:
        return self._balance_state

    @property
    def prompt(self) -> PromptState:
        return self._prompt_state

    @property
    def generate(self) -> GenerateState:
        return self._generate_state

    # -- derivation -------------------------------------------------------------------------

    def _card_for(self, listing: Offer) -> ModelCard:
        resolution = self._resolution[listing.model]
        quote = self._quotes.get((listing.model, self._duration, resolution))
        reason: str | None = None
        if not self._generation_enabled:
            reason = "Video generation is paused"
        elif quote is None:
            reason = f"Not offered at {self._duration} s"
        elif not quote.available:
            reason = quote.unavailable_reason or "No provider can render it right now"
        credits = quote.credits if quote is not None else 0
        if reason is not None:
            state = CardState.UNAVAILABLE
        elif self._balance is not None and self._balance < credits:
            state = CardState.INSUFFICIENT_CREDITS
        elif listing.model == self._selected:
            state = CardState.SELECTED
        else:
            state = CardState.DEFAULT
        return ModelCard(
            model=listing.model,
            label=listing.label,
            provider=listing.provider,
            badge=listing.badge,
            audio=listing.audio,
            quality_tag=listing.quality_tag,
            estimated_render_s=listing.estimated_render_s,
            resolutions=listing.resolutions,
            resolution=resolution,
            credits=credits,
            state=state,
            selectable=state in (CardState.DEFAULT, CardState.SELECTED),
            unavailable_reason=reason,
        )

    def _recompute(self) -> None:
        cards = [self._card_for(m) for m in self._listings]
        fresh = len(cards) != len(self._cards)
        for index, card in enumerate(cards):
            if fresh or self._cards[index] != card:
                self.card_changed.emit(index, card)
        self._cards = cards
        selected = self.selected_card
        cost = selected.credits if selected is not None else None
        self._emit_balance(cost)
        prompt = PromptState(self._prompt_len, self._prompt_len > MAX_PROMPT_CHARS)
        if prompt != self._prompt_state:
            self._prompt_state = prompt
            self.prompt_changed.emit(prompt)
        self._emit_generate(selected, prompt)

    def _emit_balance(self, cost: int | None) -> None:
        if self._balance is None:
            state = BalanceState(None, False, "Balance: connecting…")
        else:
            short = cost is not None and self._balance < cost
            state = BalanceState(self._balance, short, formatting.credits(self._balance))
        if state != self._balance_state:
            self._balance_state = state
            self.balance_changed.emit(state)

    def _emit_generate(self, card: ModelCard | None, prompt: PromptState) -> None:
        cost = (
            card.credits if card is not None and card.state is not CardState.UNAVAILABLE else None
        )
        text = "Generate Video" + (f" ({formatting.credits(cost)})" if cost is not None else "")
        hint = self._blocker(card, prompt)
        if self._submitting:
            state = GenerateState(False, True, "Submitting…", "", cost)
        else:
            state = GenerateState(hint == "", False, text, hint, cost)
        if state != self._generate_state:
            self._generate_state = state
            self.generate_changed.emit(state)

    def _blocker(self, card: ModelCard | None, prompt: PromptState) -> str:
        """Why Generate is disabled, in the words the hint under the button uses."""
        if card is None:
            return "Choose a model to continue."
        if card.state is CardState.UNAVAILABLE:
            return f"{card.label} is unavailable: {short_reason(card.unavailable_reason)}."
        if card.state is CardState.INSUFFICIENT_CREDITS:
            return f"You need {formatting.credits(card.credits)} for {card.label}."
        if prompt.over_limit:
            return f"The prompt is over {MAX_PROMPT_CHARS} characters."
        if not self._has_character:
            return "Add a character image to continue."
        if not self._connected:
            return "Connecting to the Reelcraft service…"
        return ""
