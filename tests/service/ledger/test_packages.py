"""Credit packages: seed 002's tiers, counted in credits of the default price book."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from service.ledger.packages import default_path, load_packages, shipped_packages
from shared.catalogue import CatalogueError, shipped_catalogue

# Seed 002, section 5.1: credits and bonus in dollars, price in dollars.
SEED = {
    "starter": ("10.00", "9.99", "0"),
    "standard": ("25.00", "24.99", "2.00"),
    "pro": ("50.00", "47.99", "5.00"),
    "enterprise": ("100.00", "89.99", "15.00"),
}


def test_the_packages_are_seed_002s_in_default_price_book_credits() -> None:
    packages = shipped_packages()
    credit_value = shipped_catalogue().price_book("default").credit_value_usd
    assert [p.id for p in packages.packages] == list(SEED)
    for package in packages.packages:
        credits, price, bonus = (Decimal(v) for v in SEED[package.id])
        assert package.price_cents == int(price * 100)
        assert package.credits == int(credits / credit_value)
        assert package.bonus_credits == int(bonus / credit_value)
        assert package.total_credits == package.credits + package.bonus_credits
    assert [p.id for p in packages.packages if p.popular] == ["pro"]


def _rewritten(tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load(default_path().read_text())
    data.update(changes)
    target = tmp_path / "credit_packages.yaml"
    target.write_text(yaml.safe_dump(data))
    return target


def test_packages_priced_in_another_credit_value_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="USD per credit"):
        load_packages(_rewritten(tmp_path, credit_value_usd=0.01))


def test_duplicate_or_inconsistent_packages_are_refused(tmp_path: Path) -> None:
    packages = yaml.safe_load(default_path().read_text())["packages"]
    with pytest.raises(CatalogueError, match="duplicate"):
        load_packages(_rewritten(tmp_path, packages=[packages[0], packages[0]]))
    wrong_total = [{**packages[1], "total_credits": 5000}]
    with pytest.raises(CatalogueError, match="total_credits"):
        load_packages(_rewritten(tmp_path, packages=wrong_total))
