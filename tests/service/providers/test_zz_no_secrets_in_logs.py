"""Runs last in this directory (file order): scans every log line captured since the session
began (adapters, emulator, uvicorn, httpx) for any key the tests used."""

from __future__ import annotations

import re

from tests.service.providers.conftest import LOG_CAPTURE, SECRETS_SEEN
from tests.service.providers.test_emulator_cli import KEY as CLI_KEY

_JWT = re.compile(r"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+")


def test_no_secret_in_any_captured_log_line() -> None:
    lines = LOG_CAPTURE.lines
    # The scan must have something to scan: the provider tests log their work.
    assert len(lines) > 50
    assert any("service.providers" in line for line in lines)
    secrets = SECRETS_SEEN | {CLI_KEY, "runway-key-abcdef", "pollo-secret-value-99",
                              "kling-secret-654321", "fal-key-123456"}
    assert secrets
    for line in lines:
        for secret in secrets:
            assert secret not in line, f"a key leaked into the logs: {line[:200]}"
        assert not _JWT.search(line), f"a token leaked into the logs: {line[:200]}"
