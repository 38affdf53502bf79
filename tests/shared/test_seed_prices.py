"""`reelcraft quote` reproduces every price of the product notes' tables (seeds 000-003)."""

from __future__ import annotations

import json

import pytest

from reelcraft.cli import main

# (price book, model, duration s, resolution, credits, provider cost USD, margin or None)
SEED_PRICES = [
    # seed 000: the creator lineup, margins 1.43x / 1.67x / 1.50x
    ("default", "kling-2.6", 5, None, 200, 0.70, 1.43),
    ("default", "kling-2.6", 10, None, 400, 1.40, 1.43),
    ("default", "veo-3.1", 5, None, 250, 0.75, 1.67),
    ("default", "veo-3.1", 10, None, 500, 1.50, 1.67),
    ("default", "sora-2", 5, "720p", 450, 1.50, 1.50),
    ("default", "sora-2", 10, "720p", 900, 3.00, 1.50),
    ("default", "sora-2", 5, "1080p", 750, 2.50, 1.50),
    ("default", "sora-2", 10, "1080p", 1500, 5.00, 1.50),
    # seed 001: credits = seconds x 10 x (1.5 at 1080p), API cost $0.75/s
    ("veo-tiers", "veo-3.1", 4, "720p", 40, 3.00, None),
    ("veo-tiers", "veo-3.1", 4, "1080p", 60, 3.00, None),
    ("veo-tiers", "veo-3.1", 6, "720p", 60, 4.50, None),
    ("veo-tiers", "veo-3.1", 6, "1080p", 90, 4.50, None),
    ("veo-tiers", "veo-3.1", 8, "720p", 80, 6.00, None),
    ("veo-tiers", "veo-3.1", 8, "1080p", 120, 6.00, None),
    # seed 002: customer prices in cents (1 credit = 1 cent)
    ("pollo-tiers", "kling-1.6", 5, None, 100, 0.35, None),
    ("pollo-tiers", "kling-1.6", 10, None, 200, 0.70, None),
    ("pollo-tiers", "pollo-1.6", 5, None, 155, 0.50, None),
    ("pollo-tiers", "pollo-1.6", 10, None, 310, 1.00, None),
    ("pollo-tiers", "kling-2.5-turbo", 5, None, 186, 0.60, None),
    ("pollo-tiers", "kling-2.5-turbo", 10, None, 372, 1.20, None),
    ("pollo-tiers", "runway-gen4-turbo", 5, None, 465, 1.50, None),
    ("pollo-tiers", "runway-gen4-turbo", 10, None, 930, 3.00, None),
    # seed 003: Sora 2 via Kie, 10 s 1280x720
    ("kie-sora", "sora-2", 10, "720p", 7000, 3.00, None),
]


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("book", "model", "duration", "resolution", "credits", "cost", "margin"), SEED_PRICES
)
def test_quote_reproduces_seed_price(
    capsys: pytest.CaptureFixture[str],
    book: str,
    model: str,
    duration: int,
    resolution: str | None,
    credits: int,
    cost: float,
    margin: float | None,
) -> None:
    argv = ["quote", model, "--duration", str(duration), "--price-book", book, "--json"]
    if resolution:
        argv += ["--resolution", resolution]
    code, out, _ = run_cli(capsys, *argv)
    assert code == 0
    q = json.loads(out)
    assert q["credits"] == credits
    assert isinstance(q["credits"], int)
    assert q["provider_cost_usd"] == pytest.approx(cost)
    assert q["model"] == model and q["price_book"] == book and q["duration_s"] == duration
    if resolution:
        assert q["resolution"] == resolution
    if margin is not None:
        assert q["margin"] == pytest.approx(margin)
    assert q["margin"] == pytest.approx(
        round(credits * q["credit_value_usd"] / q["provider_cost_usd"], 2)
    )


def test_every_offered_combination_of_every_book_is_pinned() -> None:
    """No price can be added to a book without a seed price pinning it here."""
    from shared.catalogue import shipped_catalogue

    pinned = {(b, m, d) for b, m, d, *_ in SEED_PRICES}
    for book in shipped_catalogue().price_books.values():
        for offering in book.offerings:
            for d in offering.durations:
                assert (book.id, offering.model, d) in pinned


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["quote", "dall-e-video", "--duration", "5"], "unknown model 'dall-e-video'"),
        (["quote", "kling-2.6", "--duration", "7"], "not offered at 7 s"),
        (["quote", "kling-2.6", "--duration", "5", "--resolution", "4k"], "not offered at 4k"),
        (["quote", "veo-3.1", "--duration", "4"], "offered: 5 s, 10 s"),
        (["quote", "kling-2.6", "--duration", "5", "--price-book", "nope"], "unknown price book"),
    ],
)
def test_quote_rejects_what_is_not_offered_with_exit_2_and_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert fragment in err
    assert "invalid_input" in err
