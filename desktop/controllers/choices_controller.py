"""What the Create screen's choices do: select a card, toggle duration and resolution, type a
prompt, and the tracking events each of those sends.

Pure Qt and the view-model: it runs from the first paint, before the service client is even
imported. Card states the user *sees* (insufficient credits, unavailable) are tracked once per
visit of the screen.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from desktop.tracking import Event, Tracker
from desktop.viewmodels.create_vm import CardState, CreateViewModel, ModelCard
from desktop.views.create_view import CreateView


def seconds(duration_s: int) -> str:
    return f"{duration_s}s"  # seed 000's extraData spells durations "10s"


class ChoicesController(QObject):
    def __init__(
        self,
        view: CreateView,
        vm: CreateViewModel,
        tracker: Tracker,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.view = view
        self.vm = vm
        self.tracker = tracker
        view.model_clicked.connect(self.select)
        view.duration_toggled.connect(self.toggle_duration)
        view.resolution_toggled.connect(self.toggle_resolution)
        view.prompt_entered.connect(self._prompt_entered)
        vm.card_changed.connect(self._card_seen)

    def select(self, model: str) -> None:
        if self.vm.select(model):
            card = self.vm.selected_card
            if card is not None:
                self.tracker.track(
                    Event.MODEL_SELECTED,
                    model=card.model,
                    creditCost=card.credits,
                    resolution=card.resolution,
                )

    def toggle_duration(self, duration_s: int) -> None:
        self.vm.set_duration(duration_s)
        self.tracker.track(
            Event.DURATION_TOGGLED, duration=seconds(duration_s), model=self.vm.selected
        )

    def toggle_resolution(self, model: str, resolution: str) -> None:
        self.vm.set_resolution(model, resolution)

    def _prompt_entered(self, length: int) -> None:
        self.tracker.track(Event.PROMPT_ENTERED, model=self.vm.selected, promptLength=length)

    def screen_shown(self) -> None:
        """A new visit: report the screen and the states its cards show now."""
        self.tracker.new_visit()
        choice = self.view.picker.choice
        self.tracker.track(
            Event.MODEL_SELECTION_VISIBLE,
            characterId=choice.sha256 if choice else None,
            availableModels=[
                c.model for c in self.vm.cards if c.state is not CardState.UNAVAILABLE
            ],
        )
        for index, card in enumerate(self.vm.cards):
            self._card_seen(index, card)

    def _card_seen(self, _index: int, card: ModelCard) -> None:
        if not self.view.isVisible():
            return
        if card.state is CardState.INSUFFICIENT_CREDITS:
            self.tracker.track_once(
                Event.INSUFFICIENT_CREDITS,
                f"{card.model}:{card.credits}",
                model=card.model,
                creditCost=card.credits,
                currentBalance=self.vm.balance.available,
            )
        elif card.state is CardState.UNAVAILABLE:
            self.tracker.track_once(Event.MODEL_UNAVAILABLE, card.model, model=card.model)
