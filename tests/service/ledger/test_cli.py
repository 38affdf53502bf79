"""`reelcraft credits ...` on the local database of a data dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reelcraft.cli import main
from tests.support.service import reelcraft


def test_a_grant_shows_in_the_balance(data_dir: Path) -> None:
    granted = reelcraft(data_dir, "credits", "grant", "1000", "--json", check=True)
    transfer = json.loads(granted.stdout)
    assert (transfer["amount"], transfer["source"]) == (1000, "grant")
    balance = reelcraft(data_dir, "credits", "balance", "--json", check=True)
    assert json.loads(balance.stdout) == {
        "user_id": "local",
        "available": 1000,
        "reserved": 0,
        "posted": 1000,
    }


def test_a_repeated_grant_id_grants_once_and_the_statement_lists_it(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(2):
        assert (
            main(
                [
                    "credits",
                    "grant",
                    "250",
                    "--user",
                    "bob",
                    "--id",
                    "promo-1",
                    "--reason",
                    "launch promo",
                ]
            )
            == 0
        )
    capsys.readouterr()
    assert main(["credits", "balance", "--user", "bob"]) == 0
    assert capsys.readouterr().out.startswith("250 credits available, 0 reserved")
    assert main(["credits", "statement", "--user", "bob", "--json"]) == 0
    page = json.loads(capsys.readouterr().out)
    assert [(e["id"], e["available_delta"], e["extra"]["reason"]) for e in page["entries"]] == [
        ("promo-1", 250, "launch promo")
    ]


def test_bad_grants_are_refused_with_a_reason(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["credits", "grant", "0"]) == 2
    assert "positive" in capsys.readouterr().err
    assert main(["credits", "grant", "5", "--id", "has spaces"]) == 2
    assert "transfer id" in capsys.readouterr().err


def test_the_packages_are_listed(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["credits", "packages", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(p["id"], p["total_credits"], p["price_cents"]) for p in listed] == [
        ("starter", 2000, 999),
        ("standard", 5400, 2499),
        ("pro", 11000, 4799),
        ("enterprise", 23000, 8999),
    ]
