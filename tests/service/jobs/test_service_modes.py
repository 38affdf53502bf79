"""The service process in its other modes: a team server on PostgreSQL, the idle exit, the
daily cap."""

from __future__ import annotations

import time
from pathlib import Path

from tests.service.jobs.conftest import Studio
from tests.support.service import ServiceProcess, running_service


def test_a_team_server_on_postgresql_runs_generations_end_to_end(
    tmp_path: Path, pg_url: str
) -> None:
    service = ServiceProcess(tmp_path, {}).start_with("--db", pg_url)
    try:
        with service.http() as api:
            studio = Studio(api)
            studio.grant(400)
            ok = studio.wait(studio.generate(prompt="team")["id"])
            failed = studio.wait(
                studio.generate(prompt="[emulator:content_policy_at_submit]")["id"]
            )
            assert ok["state"] == "ready" and ok["credits_charged"] == 200
            assert failed["state"] == "failed" and len(studio.refunds(failed["id"])) == 1
            assert studio.balance() == {
                "user_id": "local",
                "available": 200,
                "reserved": 0,
                "posted": 200,
            }
    finally:
        service.stop()


def test_the_local_service_exits_by_itself_when_idle(tmp_path: Path) -> None:
    service = ServiceProcess(tmp_path, {}).start_with("--idle-exit", "2")
    assert service.process is not None
    try:
        deadline = time.monotonic() + 30
        while service.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert service.process.returncode == 0
        assert not (tmp_path / "service.json").exists()  # nothing left pointing at a dead port
    finally:
        service.stop()


def test_the_daily_cap_refuses_with_its_code(tmp_path: Path) -> None:
    env = {"REELCRAFT_DAILY_CAP_PER_USER": "2"}
    with running_service(tmp_path, env) as service, service.http() as api:
        studio = Studio(api)
        studio.grant(600)
        for _ in range(2):
            studio.wait(studio.generate()["id"])
        refused = studio.submit()
        assert refused.status_code == 429 and refused.json()["code"] == "daily_limit"
        assert studio.balance()["available"] == 600 - 2 * 200
