"""Secrets never reach log output; settings isolate a run by data dir."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from reelcraft.cli import build_parser
from shared.config import load_settings
from shared.logging import RedactingFilter, configure_logging, redact, register_secret


def test_registered_secrets_and_key_shapes_are_masked(tmp_path: Path) -> None:
    register_secret("fal-key-0123456789abcdef")
    log_file = tmp_path / "reelcraft.log"
    configure_logging("INFO", log_file)
    log = logging.getLogger("reelcraft.test")
    log.info("submitting with key %s", "fal-key-0123456789abcdef")
    log.warning("GET https://x.test/v1/files/a:download?alt=media&key=AIzaSyD-secret-value")
    log.error("headers: Authorization: Bearer eyJhbGciOi.eyJpc3MiOi.c2lnbmF0dXJl")
    log.error("stripe said sk_test_abcdef123456 and whsec_zzzzzzzzzzzz")
    try:
        raise RuntimeError("x-api-key: pollo-secret-key-999")
    except RuntimeError:
        log.exception("failed")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text()
    for secret in (
        "fal-key-0123456789abcdef",
        "AIzaSyD-secret-value",
        "eyJhbGciOi",
        "sk_test_abcdef123456",
        "whsec_zzzzzzzzzzzz",
        "pollo-secret-key-999",
    ):
        assert secret not in text
    assert text.count("***") >= 6
    assert "submitting with key ***" in text


def test_redact_leaves_ordinary_text_alone() -> None:
    assert redact("rendered 5 s at 1080p via fal") == "rendered 5 s at 1080p via fal"
    assert isinstance(RedactingFilter(), logging.Filter)


def test_data_dir_option_and_environment_isolate_a_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REELCRAFT_DATA_DIR", str(tmp_path / "env"))
    assert load_settings().data_dir == tmp_path / "env"
    assert load_settings(tmp_path / "flag").data_dir == tmp_path / "flag"
    settings = load_settings(tmp_path / "flag")
    assert settings.database_url.endswith(str(tmp_path / "flag" / "reelcraft.db"))
    args = build_parser().parse_args(["--data-dir", str(tmp_path / "x"), "models"])
    assert args.data_dir == tmp_path / "x"
