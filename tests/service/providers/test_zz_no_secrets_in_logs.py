"""Runs last in this directory (file order): scans every log line captured while the provider
tests ran (adapters, emulator, uvicorn, httpx), as a log file would hold them, for any key
or token the tests used."""

from __future__ import annotations

import re

import pytest

from tests.service.providers.conftest import LOG_CAPTURE, SECRETS_SEEN
from tests.service.providers.test_emulator_cli import KEY as CLI_KEY

_JWT = re.compile(r"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+")


def test_no_secret_in_any_captured_log_line() -> None:
    if not SECRETS_SEEN:
        pytest.skip("nothing to scan: run it with the other provider tests")
    lines = LOG_CAPTURE.lines
    # The scan must have something to scan: the provider tests log their work.
    assert len(lines) > 50
    assert any("service.providers" in line for line in lines)
    secrets = SECRETS_SEEN | {
        CLI_KEY,
        "runway-key-abcdef",
        "pollo-secret-value-99",
        "kling-secret-654321",
        "fal-key-123456",
    }
    assert secrets
    for line in lines:
        for secret in secrets:
            assert secret not in line, f"a key leaked into the logs: {line[:200]}"
        assert not _JWT.search(line), f"a token leaked into the logs: {line[:200]}"
    # Redaction is the safety net, not the plan: our own messages never contain a key.
    assert LOG_CAPTURE.raw_own
    for message in LOG_CAPTURE.raw_own:
        assert not any(secret in message for secret in secrets), message[:200]
        assert not _JWT.search(message), message[:200]
