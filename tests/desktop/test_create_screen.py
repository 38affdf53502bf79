"""The Create Video Post screen through its real widgets (SPEC section 2, seed 000)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.theme import SAMPLES_DIR
from desktop.viewmodels.create_vm import CardState, CreateViewModel
from desktop.views.create_view import CreateView
from shared.price_list import PriceList

SEED_000_PRICES = {  # model -> (duration, resolution) -> credits
    "kling-2.6": {(5, "1080p"): 200, (10, "1080p"): 400},
    "veo-3.1": {(5, "1080p"): 250, (10, "1080p"): 500},
    "sora-2": {(5, "720p"): 450, (10, "720p"): 900, (5, "1080p"): 750, (10, "1080p"): 1500},
}


def open_lineup(price_list: PriceList) -> PriceList:
    """The lineup as the service reports it when every route is up and offers every length."""
    return price_list._replace(
        offers=tuple(
            offer._replace(
                prices=tuple(
                    p._replace(available=True, unavailable_reason=None) for p in offer.prices
                )
            )
            for offer in price_list.offers
        )
    )


def make_view(qtbot: QtBot, listings: PriceList, balance: int | None) -> CreateView:
    vm = CreateViewModel()
    vm.set_price_list(listings)
    vm.set_balance(balance)
    view = CreateView(vm)
    view.picker.load_samples()
    qtbot.addWidget(view)
    view.resize(1180, 760)
    view.show()
    view.model_clicked.connect(vm.select)
    view.duration_toggled.connect(vm.set_duration)
    view.resolution_toggled.connect(vm.set_resolution)
    return view


def cost(view: CreateView, model: str) -> int:
    return int(view.cards[model].cost.text().replace(",", ""))


def test_kling_is_preselected_and_every_model_can_be_selected(
    qtbot: QtBot, listings: PriceList
) -> None:
    view = make_view(qtbot, open_lineup(listings), balance=5000)
    assert view.cards["kling-2.6"].selected_mark.isVisible()
    assert view.generate_button.text() == "Generate Video (200 credits)"
    for model in ("veo-3.1", "sora-2", "kling-2.6"):
        qtbot.mouseClick(view.cards[model], Qt.MouseButton.LeftButton)
        assert view.vm.selected == model
        assert view.cards[model].property("state") == "selected"
        assert view.cards[model].selected_mark.isVisible()
        others = [m for m in view.cards if m != model]
        assert all(not view.cards[m].selected_mark.isVisible() for m in others)
        assert f"({cost(view, model):,} credits)" in view.generate_button.text()


def test_duration_and_sora_resolution_reprice_the_cards(qtbot: QtBot, listings: PriceList) -> None:
    view = make_view(qtbot, open_lineup(listings), balance=5000)
    assert view.duration.value() == "5"
    assert {m: cost(view, m) for m in view.cards} == {
        "kling-2.6": 200,
        "veo-3.1": 250,
        "sora-2": 450,
    }
    qtbot.mouseClick(view.duration.button("10"), Qt.MouseButton.LeftButton)
    assert {m: cost(view, m) for m in view.cards} == {
        "kling-2.6": 400,
        "veo-3.1": 500,
        "sora-2": 900,
    }
    assert view.generate_button.text() == "Generate Video (400 credits)"
    sora = view.cards["sora-2"]
    assert sora.resolution_toggle is not None
    assert view.cards["kling-2.6"].resolution_toggle is None  # only Sora has its own toggle
    qtbot.mouseClick(sora.resolution_toggle.button("1080p"), Qt.MouseButton.LeftButton)
    assert cost(view, "sora-2") == 1500
    qtbot.mouseClick(view.duration.button("5"), Qt.MouseButton.LeftButton)
    assert cost(view, "sora-2") == 750
    qtbot.mouseClick(sora, Qt.MouseButton.LeftButton)
    assert view.generate_button.text() == "Generate Video (750 credits)"
    qtbot.mouseClick(sora.resolution_toggle.button("720p"), Qt.MouseButton.LeftButton)
    assert view.generate_button.text() == "Generate Video (450 credits)"
    for model, prices in SEED_000_PRICES.items():
        for (duration, resolution), credits in prices.items():
            view.vm.set_duration(duration)
            view.vm.set_resolution(model, resolution)
            assert cost(view, model) == credits


def test_insufficient_credits_offers_get_credits_instead_of_the_cost(
    qtbot: QtBot, listings: PriceList
) -> None:
    view = make_view(qtbot, open_lineup(listings), balance=300)
    requests: list[str] = []
    view.get_credits_requested.connect(requests.append)
    kling, veo, sora = (view.cards[m] for m in ("kling-2.6", "veo-3.1", "sora-2"))
    assert kling.cost.isVisible() and veo.cost.isVisible()
    assert sora.property("state") == "insufficient_credits"
    assert sora.get_credits_button.isVisible() and not sora.cost.isVisible()
    qtbot.mouseClick(sora, Qt.MouseButton.LeftButton)  # the card itself opens the purchase
    qtbot.mouseClick(sora.get_credits_button, Qt.MouseButton.LeftButton)
    assert requests == ["sora-2", "sora-2"]
    assert view.vm.selected == "kling-2.6"  # an unaffordable card is not selectable
    assert view.balance_label.text() == "300 credits"
    assert view.balance_label.property("short") is False
    assert not view.balance_link.isVisible()

    qtbot.mouseClick(view.duration.button("10"), Qt.MouseButton.LeftButton)
    # Kling now costs 400 > 300: short, red, Get Credits link, Generate disabled.
    assert kling.property("state") == "insufficient_credits"
    assert view.balance_label.property("short") is True
    assert view.balance_link.isVisible()
    assert not view.generate_button.isEnabled()
    assert "You need 400 credits" in view.hint.text()
    qtbot.mouseClick(view.balance_link, Qt.MouseButton.LeftButton)
    assert requests[-1] == ""


def test_unavailable_models_show_why_and_cannot_be_selected(
    qtbot: QtBot, listings: PriceList
) -> None:
    # The shipped default lineup as it is: Veo's routes render 4/6/8 s only, Sora's 720p
    # routes take 4/8/12 or 10/15 s, so those cards are unavailable with the reason.
    view = make_view(qtbot, listings, balance=5000)
    veo, sora = view.cards["veo-3.1"], view.cards["sora-2"]
    assert veo.property("state") == "unavailable"
    assert veo.overlay.isVisible()
    assert veo.unavailable_title.text() == "Temporarily unavailable"
    assert veo.unavailable_reason.text() == "Not offered at 5 s 1080p"
    assert "gemini accepts 8 s at 1080p" in veo.toolTip()
    qtbot.mouseClick(veo, Qt.MouseButton.LeftButton)
    assert view.vm.selected == "kling-2.6"
    # At 10 s Sora 720p is offered; its toggle stays usable above the grey overlay.
    qtbot.mouseClick(view.duration.button("10"), Qt.MouseButton.LeftButton)
    assert sora.property("state") == "default" and not sora.overlay.isVisible()
    assert sora.resolution_toggle is not None
    qtbot.mouseClick(sora.resolution_toggle.button("1080p"), Qt.MouseButton.LeftButton)
    assert sora.property("state") == "unavailable"
    qtbot.mouseClick(sora.resolution_toggle.button("720p"), Qt.MouseButton.LeftButton)
    assert sora.property("state") == "default"
    qtbot.mouseClick(sora, Qt.MouseButton.LeftButton)
    assert view.vm.selected == "sora-2"


def test_kill_switch_makes_every_card_unavailable(qtbot: QtBot, listings: PriceList) -> None:
    view = make_view(qtbot, open_lineup(listings), balance=5000)
    view.vm.set_price_list(open_lineup(listings)._replace(generation_enabled=False))
    assert all(c.state is CardState.UNAVAILABLE for c in view.vm.cards)
    assert view.cards["kling-2.6"].unavailable_reason.text() == "Video generation is paused"
    assert not view.generate_button.isEnabled()


def test_a_prompt_over_500_characters_disables_generate(qtbot: QtBot, listings: PriceList) -> None:
    view = make_view(qtbot, open_lineup(listings), balance=5000)
    view.picker.choose_file(SAMPLES_DIR / "mira.png")
    view.vm.set_connected(True)
    assert view.generate_button.isEnabled()
    view.prompt.setFocus()
    qtbot.keyClicks(view.prompt, "a" * 500)
    assert view.counter.text() == "500 / 500"
    assert view.generate_button.isEnabled() and not view.prompt_error.isVisible()
    qtbot.keyClicks(view.prompt, "bc")
    assert view.counter.text() == "502 / 500"
    assert view.counter.property("error") is True
    assert view.prompt.property("error") is True
    assert view.prompt_error.isVisible()
    assert "Remove 2" in view.prompt_error.text()
    assert not view.generate_button.isEnabled()
    qtbot.keyClick(view.prompt, Qt.Key.Key_Backspace)
    qtbot.keyClick(view.prompt, Qt.Key.Key_Backspace)
    assert view.generate_button.isEnabled()


def test_generate_needs_a_character_and_says_so(qtbot: QtBot, listings: PriceList) -> None:
    view = make_view(qtbot, open_lineup(listings), balance=5000)
    view.vm.set_connected(True)
    assert view.picker.zone.empty.isVisible()  # the empty state points to adding one
    assert not view.generate_button.isEnabled()
    assert view.hint.text() == "Add a character image to continue."
    clicks: list[bool] = []
    view.generate_clicked.connect(lambda: clicks.append(True))
    qtbot.mouseClick(
        view.picker._thumbs[str(SAMPLES_DIR / "kai.png")][0], Qt.MouseButton.LeftButton
    )
    assert view.picker.character_name == "Kai"
    assert view.generate_button.isEnabled()
    qtbot.mouseClick(view.generate_button, Qt.MouseButton.LeftButton)
    assert clicks == [True]


def _drop(widget: object, mime: QMimeData) -> tuple[QDragEnterEvent, QDropEvent]:
    pos = QPoint(20, 20)
    enter = QDragEnterEvent(
        pos,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    drop = QDropEvent(
        QPointF(pos),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    return enter, drop


def test_drag_and_drop_an_image_picks_the_character(
    qtbot: QtBot, listings: PriceList, tmp_path: Path
) -> None:
    view = make_view(qtbot, listings, balance=None)
    image = tmp_path / "luna_star.png"
    image.write_bytes((SAMPLES_DIR / "nova.png").read_bytes())
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(image))])
    enter, drop = _drop(view.picker.zone, mime)
    QApplication.sendEvent(view.picker.zone, enter)
    assert enter.isAccepted()
    assert view.picker.zone.property("drag") is True
    QApplication.sendEvent(view.picker.zone, drop)
    assert view.picker.choice is not None and view.picker.choice.path == image
    assert view.picker.character_name == "Luna Star"
    assert view.picker.zone.image.isVisible() and not view.picker.zone.empty.isVisible()
    text = QMimeData()
    text.setUrls([QUrl.fromLocalFile(str(tmp_path / "notes.txt"))])
    enter, _ = _drop(view.picker.zone, text)
    QApplication.sendEvent(view.picker.zone, enter)
    assert not enter.isAccepted()  # only images are accepted


def test_balance_says_connecting_until_the_service_answers(
    qtbot: QtBot, listings: PriceList
) -> None:
    view = make_view(qtbot, listings, balance=None)
    assert view.balance_label.text() == "Balance: connecting…"
    assert all(c.state is not CardState.INSUFFICIENT_CREDITS for c in view.vm.cards)
    view.vm.set_balance(1250)
    assert view.balance_label.text() == "1,250 credits"


@pytest.mark.parametrize("over", [0, 1])
def test_view_model_emits_only_real_changes(listings: PriceList, over: int) -> None:
    vm = CreateViewModel()
    vm.set_price_list(open_lineup(listings))
    vm.set_balance(5000)
    changed: list[str] = []
    vm.card_changed.connect(lambda _i, card: changed.append(card.model))
    generate: list[object] = []
    vm.generate_changed.connect(generate.append)
    vm.set_duration(5)  # already 5: nothing
    vm.set_balance(5000)
    assert changed == [] and generate == []
    vm.select("veo-3.1")
    assert sorted(changed) == ["kling-2.6", "veo-3.1"]  # Sora's card did not move
    changed.clear()
    vm.set_prompt_length(500 + over)
    assert changed == []
    assert len(generate) == 2 if over else len(generate) == 1
