"""The command line end to end on a fresh data dir with no keys (demo mode): credits, then a
generation that starts the local service by itself, waits, and writes a playable MP4."""

from __future__ import annotations

import contextlib
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import av
import pytest

from tests.support.images import write_character
from tests.support.service import reelcraft


@pytest.fixture
def fresh_data_dir(tmp_path: Path) -> Iterator[Path]:
    data = tmp_path / "data"
    yield data
    service_file = data / "service.json"
    if service_file.exists():  # the CLI started a background service: stop it
        pid = json.loads(service_file.read_text())["pid"]
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)


def test_grant_then_generate_writes_a_playable_clip_and_charges_the_quote(
    fresh_data_dir: Path, tmp_path: Path
) -> None:
    granted = reelcraft(fresh_data_dir, "credits", "grant", "1000", "--json")
    assert granted.returncode == 0, granted.stderr
    image = write_character(tmp_path / "mira.png")
    out = tmp_path / "x.mp4"
    result = reelcraft(
        fresh_data_dir,
        "generate",
        "--model",
        "kling-2.6",
        "--image",
        str(image),
        "--prompt",
        "Mira waves at the camera",
        "--duration",
        "5",
        "--out",
        str(out),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    generation = json.loads(result.stdout)
    assert generation["state"] == "ready"
    assert generation["credits_charged"] == 200
    assert (fresh_data_dir / "service.json").stat().st_mode & 0o777 == 0o600
    with av.open(str(out)) as container:
        assert abs(float(container.duration or 0) / 1e6 - 5.0) < 1 / 30
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.streams.audio and container.streams.audio[0].codec_context.name == "aac"
    balance = reelcraft(fresh_data_dir, "credits", "balance", "--json")
    assert balance.returncode == 0, balance.stderr
    assert json.loads(balance.stdout)["available"] == 800
    assert json.loads(balance.stdout)["reserved"] == 0
    listed = reelcraft(fresh_data_dir, "jobs", "list", "--json")
    assert [g["id"] for g in json.loads(listed.stdout)["items"]] == [generation["id"]]


def test_a_failed_generation_exits_non_zero_with_its_code_and_refunds(
    fresh_data_dir: Path, tmp_path: Path
) -> None:
    assert reelcraft(fresh_data_dir, "credits", "grant", "200").returncode == 0
    image = write_character(tmp_path / "mira.png")
    result = reelcraft(
        fresh_data_dir,
        "generate",
        "--model",
        "kling-2.6",
        "--image",
        str(image),
        "--prompt",
        "[emulator:content_policy_at_submit] nope",
        "--duration",
        "5",
    )
    assert result.returncode == 1
    assert "content_policy" in result.stderr and "refunded" in result.stderr
    balance = json.loads(reelcraft(fresh_data_dir, "credits", "balance", "--json").stdout)
    assert (balance["available"], balance["reserved"]) == (200, 0)


def test_an_unoffered_duration_is_refused_with_exit_code_2(
    fresh_data_dir: Path, tmp_path: Path
) -> None:
    image = write_character(tmp_path / "mira.png")
    result = reelcraft(
        fresh_data_dir,
        "generate",
        "--model",
        "kling-2.6",
        "--image",
        str(image),
        "--duration",
        "7",
    )
    assert result.returncode == 2
    assert "not offered at 7 s" in result.stderr
