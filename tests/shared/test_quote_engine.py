"""Quote engine rules and catalogue validation beyond the seed tables."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.catalogue import CatalogueError, load_catalogue, shipped_catalogue
from shared.catalogue.schema import Offering, PerSecondRule, PriceBook
from shared.errors import ErrorCode, ReelcraftError
from shared.quote import price_credits, quote

CATALOGUE_DIR = Path(__file__).parents[2] / "resources" / "catalogue"


def test_quote_records_catalogue_and_price_book_versions() -> None:
    cat = shipped_catalogue()
    q = quote(cat, "kling-2.6", 5)
    assert q.catalogue_version == cat.version
    assert q.price_book_version == cat.price_book("default").version


def test_an_unavailable_route_fails_over_to_the_next_one() -> None:
    q = quote(shipped_catalogue(), "kling-2.6", 5, unavailable_routes={"fal": "circuit open"})
    assert q.route == "kling"
    q = quote(
        shipped_catalogue(),
        "kling-2.6",
        5,
        unavailable_routes={"fal": "circuit open", "kling": "no key", "kie": "outage"},
    )
    assert not q.available
    assert "circuit open" in (q.unavailable_reason or "")
    assert q.credits == 200  # the price stays visible on the greyed card


def _rule_book(**rule: object) -> tuple[PriceBook, Offering]:
    offering = Offering.model_validate(
        {
            "model": "kling-2.6",
            "durations": [5, 10],
            "resolutions": ["720p", "1080p"],
            "default_resolution": "720p",
            "price": {"kind": "per_second", **rule},
        }
    )
    book = PriceBook.model_validate(
        {
            "id": "t",
            "version": "1",
            "title": "t",
            "credit_value_usd": "0.01",
            "default_model": "kling-2.6",
            "default_duration": 5,
            "offerings": [offering.model_dump()],
        }
    )
    return book, book.offerings[0]


def test_per_second_adders_multipliers_and_rounding() -> None:
    route = shipped_catalogue().model("kling-2.6").routes[0]
    book, off = _rule_book(
        rate="10.3",
        resolution_multipliers={"1080p": "1.5"},
        audio_adder_per_second="1",
        option_adders={"remove_watermark": "7"},
        rounding="up",
        round_to=5,
    )
    # (10.3 x 1.5 + 1) x 5 + 7 = 89.25 -> up to a multiple of 5 = 90
    assert price_credits(book, off, route, 5, "1080p", options=["remove_watermark"]) == 90
    # without audio: 10.3 x 1.5 x 5 = 77.25 -> 80
    assert price_credits(book, off, route, 5, "1080p", audio=False) == 80
    book, off = _rule_book(rate="10.3", rounding="down")
    assert price_credits(book, off, route, 5, "720p") == 51
    book, off = _rule_book(rate="10.3")
    assert price_credits(book, off, route, 5, "720p") == 52  # 51.5 rounds half up


def test_a_rule_needs_exactly_one_of_rate_and_markup() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        PerSecondRule.model_validate({"kind": "per_second", "rate": 1, "markup": 2})
    with pytest.raises(ValueError, match="exactly one"):
        PerSecondRule.model_validate({"kind": "per_second"})


@given(st.sampled_from(["kling-2.6", "veo-3.1", "sora-2"]), st.sampled_from(["720p", "1080p"]))
def test_default_book_prices_are_linear_in_duration(model: str, resolution: str) -> None:
    cat = shipped_catalogue()
    if resolution not in cat.price_book().offering(model).resolutions:
        resolution = cat.price_book().offering(model).default_resolution
    five = quote(cat, model, 5, resolution)
    ten = quote(cat, model, 10, resolution)
    assert ten.credits == 2 * five.credits
    assert ten.margin == five.margin
    assert five.provider_cost_usd > 0 and five.margin > Decimal(1)


def _copy_catalogue(tmp_path: Path) -> Path:
    target = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE_DIR, target)
    return target


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("price_books/kie-sora.yaml", "{10: {720p: 7000}}", "{10: {1080p: 7000}}", "lacks 10 s"),
        (
            "price_books/pollo-tiers.yaml",
            "routes: [pollo, kling]",
            "routes: [pollo, vimeo]",
            "unknown route",
        ),
        (
            "price_books/default.yaml",
            "default_model: kling-2.6",
            "default_model: kling-9",
            "not offered",
        ),
        ("models.yaml", "adapter: kie", "adapter: openai", "adapter"),
        ("price_books/default.yaml", "rate: 40", "rate: -40", "greater than 0"),
    ],
)
def test_an_inconsistent_catalogue_is_refused_on_load(
    tmp_path: Path, file: str, old: str, new: str, message: str
) -> None:
    root = _copy_catalogue(tmp_path)
    path = root / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(CatalogueError, match=message):
        load_catalogue(root)


def test_the_catalogue_digest_changes_with_its_content(tmp_path: Path) -> None:
    root = _copy_catalogue(tmp_path)
    before = load_catalogue(root).digest
    path = root / "price_books" / "default.yaml"
    path.write_text(path.read_text().replace("rate: 40", "rate: 41"))
    after = load_catalogue(root)
    assert after.digest != before
    assert quote(after, "kling-2.6", 5).credits == 205


def test_unknown_model_is_invalid_input() -> None:
    with pytest.raises(ReelcraftError) as info:
        quote(shipped_catalogue(), "nope", 5)
    assert info.value.code is ErrorCode.INVALID_INPUT
