"""The studio's first screen is priced from a snapshot: it must equal the catalogue's own
prices, and a snapshot that no longer matches the catalogue files must never be used."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from shared import price_list_snapshot
from shared.catalogue_files import catalogue_dir, read_catalogue_files
from shared.listing import price_list_document
from shared.price_list import PriceList, shipped_price_list


def test_the_shipped_snapshot_is_the_catalogue_s_own_price_list() -> None:
    assert read_catalogue_files().fingerprint == price_list_snapshot.FINGERPRINT, (
        "resources/catalogue changed: run `make price-list`"
    )
    assert price_list_document() == price_list_snapshot.PRICE_LIST, (
        "the quote engine's prices changed: run `make price-list`"
    )
    assert shipped_price_list() == PriceList.from_json(price_list_document())


def test_a_stale_snapshot_is_ignored_and_the_prices_are_computed(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    doctored = dict(price_list_snapshot.PRICE_LIST)
    doctored["models"] = [
        {**m, "prices": [{**p, "credits": 1} for p in m["prices"]]} for m in doctored["models"]
    ]
    monkeypatch.setattr(price_list_snapshot, "PRICE_LIST", doctored)
    monkeypatch.setattr(price_list_snapshot, "FINGERPRINT", "00000000")
    with caplog.at_level(logging.WARNING, logger="shared.price_list"):
        prices = shipped_price_list()
    kling = next(o for o in prices.offers if o.model == "kling-2.6")
    assert {p.credits for p in kling.prices} == {200, 400}  # seed 000, not the doctored 1
    assert "stale" in caplog.text


def test_the_fingerprint_follows_every_catalogue_file(tmp_path: Path) -> None:
    copy = tmp_path / "catalogue"
    shutil.copytree(catalogue_dir(), copy)
    before = read_catalogue_files(copy)
    book = copy / "price_books" / "default.yaml"
    book.write_text(book.read_text() + "\n# edited\n")
    after = read_catalogue_files(copy)
    assert after.fingerprint != before.fingerprint
    assert after.digest != before.digest
