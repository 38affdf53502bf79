"""Runs last (it sorts after every test folder): no key or token used anywhere in the test run
appears in any log line the run produced, in this process or in any service, emulator or CLI
process the tests started (their log files live under the run's temporary directory)."""

from __future__ import annotations

import json
import re

import pytest

from service.providers.emulator.core import DEMO_KEY
from tests.conftest import SUITE_LOGS

SHAPES = [
    re.compile(r"sk_(?:test|live)_[A-Za-z0-9]{6,}"),
    re.compile(r"whsec_[A-Za-z0-9]{6,}"),
    re.compile(r"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+"),
    re.compile(r"(?i)authorization: (?:bearer|key) (?!\*\*\*)\S+"),
]


def test_no_secret_in_any_log_of_the_whole_run(tmp_path_factory: pytest.TempPathFactory) -> None:
    base = tmp_path_factory.getbasetemp()
    tokens = {DEMO_KEY}
    for service_file in base.rglob("service.json"):
        try:
            tokens.add(json.loads(service_file.read_text())["token"])
        except (OSError, ValueError, KeyError):
            continue
    sources: dict[str, list[str]] = {"pytest process": SUITE_LOGS.lines}
    for log_file in [*base.rglob("*.log"), *base.rglob("service.out")]:
        sources[str(log_file)] = log_file.read_text(errors="replace").splitlines()
    scanned = sum(len(lines) for lines in sources.values())
    if scanned < 100:
        pytest.skip("run with the rest of the suite: there is nothing to scan alone")
    for where, lines in sources.items():
        for line in lines:
            for token in tokens:
                assert token not in line, f"a token leaked into {where}: {line[:200]}"
            for shape in SHAPES:
                assert not shape.search(line), f"a secret leaked into {where}: {line[:200]}"
