"""`reelcraft models` lists every model with each offered combination and its price."""

from __future__ import annotations

import json

import pytest

from reelcraft.cli import main
from shared.catalogue import shipped_catalogue


@pytest.mark.parametrize("book", ["default", "veo-tiers", "pollo-tiers", "kie-sora"])
def test_models_json_lists_every_model_with_every_price(
    capsys: pytest.CaptureFixture[str], book: str
) -> None:
    assert main(["models", "--price-book", book, "--json"]) == 0
    listings = json.loads(capsys.readouterr().out)
    offered = shipped_catalogue().price_book(book).offerings
    assert [m["model"] for m in listings] == [o.model for o in offered]
    for m, o in zip(listings, offered, strict=True):
        assert m["durations"] == list(o.durations)
        assert m["resolutions"] == list(o.resolutions)
        assert m["badge"]
        assert isinstance(m["audio"], bool)
        assert m["estimated_render_s"] > 0
        combos = {(p["duration_s"], p["resolution"]) for p in m["prices"]}
        assert combos == {(d, r) for d in o.durations for r in o.resolutions}
        for p in m["prices"]:
            assert p["credits"] > 0
            assert p["available"] == (p["unavailable_reason"] is None)


def test_default_lineup_is_kling_veo_sora_with_kling_preselected(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["models", "--json"]) == 0
    listings = {m["model"]: m for m in json.loads(capsys.readouterr().out)}
    assert list(listings) == ["kling-2.6", "veo-3.1", "sora-2"]
    assert listings["kling-2.6"]["badge"] == "Best Value"
    assert listings["veo-3.1"]["badge"] == "Highest Quality"
    assert listings["sora-2"]["badge"] == "Premium"
    assert listings["sora-2"]["resolutions"] == ["720p", "1080p"]
    assert listings["sora-2"]["default_resolution"] == "720p"
    assert all(m["audio"] for m in listings.values())
    assert shipped_catalogue().price_book().default_model == "kling-2.6"


def test_a_duration_no_route_accepts_is_shown_as_not_offered_with_the_reason(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Veo's providers take 4/6/8 s: the 5 s card must say so, not quietly render 4 s."""
    assert main(["quote", "veo-3.1", "--duration", "5", "--json"]) == 0
    q = json.loads(capsys.readouterr().out)
    assert q["credits"] == 250
    assert q["available"] is False
    assert q["route"] is None
    assert "4/6/8 s" in q["unavailable_reason"]


def test_the_route_that_accepts_the_duration_is_chosen(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["quote", "sora-2", "--duration", "10", "--json"]) == 0
    q = json.loads(capsys.readouterr().out)
    assert (q["available"], q["route"]) == (True, "kie")


def test_models_text_output_shows_prices_and_reasons(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "Kling 2.6 (kling-2.6)" in out
    assert "200 credits  via fal" in out
    assert "Not offered at 5 s" in out
