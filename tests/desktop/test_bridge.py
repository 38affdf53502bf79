"""The bridge against a real service process: it finds or starts the service, turns its
event stream into Qt signals, and reconnects when the service restarts."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
from pathlib import Path

import pytest

from desktop.bridge import Balance, ConnectionState, ServiceBridge
from desktop.studio import local_connector
from desktop.tracking import Event, Tracker
from shared.api_schemas import ModelsResponse
from shared.client import ServiceClient, connect_or_start, read_service_file
from tests.desktop.helpers import until
from tests.support.service import FAST_EMULATOR, ServiceProcess


def grant(service: ServiceProcess, amount: int) -> None:
    with service.http() as http:
        http.post("/credits/grants", json={"user_id": "local", "amount": amount}).raise_for_status()


def no_start(data_dir: Path):  # type: ignore[no-untyped-def]
    async def connect() -> ServiceClient:
        return await connect_or_start(data_dir, start=False)

    return connect


async def test_events_become_signals_and_a_restart_reconnects(tmp_path: Path) -> None:
    service = ServiceProcess(tmp_path / "data").start()
    bridge = ServiceBridge(no_start(service.data_dir), max_backoff_s=0.5)
    states: list[str] = []
    balances: list[Balance] = []
    models: list[ModelsResponse] = []
    bridge.connection_changed.connect(states.append)
    bridge.balance_changed.connect(balances.append)
    bridge.models_changed.connect(models.append)
    try:
        bridge.start()
        await until(lambda: bridge.state is ConnectionState.CONNECTED, 20, "connected")
        await until(lambda: bool(balances), 10, "the first balance")
        assert balances[-1].available == 0
        assert [m.model for m in models[-1].models] == ["kling-2.6", "veo-3.1", "sora-2"]
        grant(service, 1000)
        await until(lambda: balances[-1].available == 1000, 10, "the balance event")

        first_url = service.url
        service.stop()  # a restart: new port, new token
        await until(lambda: bridge.state is ConnectionState.RECONNECTING, 10, "reconnecting")
        service = ServiceProcess(service.data_dir).start()
        assert service.url != first_url
        await until(lambda: bridge.state is ConnectionState.CONNECTED, 20, "reconnected")
        assert bridge.connections == 2
        assert states[:3] == ["connecting", "connected", "reconnecting"]
        assert bridge.balance == Balance(1000, 0)
        grant(service, 5)
        await until(lambda: balances[-1].available == 1005, 10, "events after the restart")
    finally:
        await bridge.stop()
        service.stop()


async def test_the_bridge_starts_the_local_service_when_none_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in FAST_EMULATOR.items():
        monkeypatch.setenv(key, value)
    data_dir = tmp_path / "fresh"
    bridge = ServiceBridge(local_connector(data_dir))
    try:
        bridge.start()
        await until(lambda: bridge.state is ConnectionState.CONNECTED, 30, "started")
        info = read_service_file(data_dir)
        assert info is not None and bridge.health is not None
        assert bridge.health.pid == info.pid
        assert bridge.health.demo_mode
    finally:
        await bridge.stop()
        info = read_service_file(data_dir)
        if info is not None:
            os.kill(info.pid, signal.SIGTERM)


async def test_tracking_events_reach_the_service_without_the_prompt(tmp_path: Path) -> None:
    service = ServiceProcess(tmp_path / "data").start()
    bridge = ServiceBridge(no_start(service.data_dir))
    tracker = Tracker(bridge)
    # Queued while offline, flushed in order once connected.
    tracker.track(Event.MODEL_SELECTED, model="kling-2.6", creditCost=200, resolution="1080p")
    tracker.track(Event.PROMPT_ENTERED, model="kling-2.6", promptLength=42)
    tracker.track_once(Event.MODEL_UNAVAILABLE, "veo-3.1", model="veo-3.1")
    tracker.track_once(Event.MODEL_UNAVAILABLE, "veo-3.1", model="veo-3.1")  # seen once
    with pytest.raises(ValueError):
        tracker.track(Event.PROMPT_ENTERED, prompt="secret scene")
    with pytest.raises(ValueError):
        tracker.track(Event.GENERATION_STARTED, model="kling-2.6")  # the service's event
    try:
        assert tracker.pending == 3
        bridge.start()
        await until(lambda: tracker.sent == 3, 20, "the flush")
        with sqlite3.connect(service.data_dir / "reelcraft.db") as db:
            rows = db.execute("SELECT name, data FROM analytics_events ORDER BY id").fetchall()
        assert [r[0] for r in rows] == [
            "desktop-feVideoModelSelected",
            "desktop-feVideoPromptEntered",
            "desktop-feVideoModelUnavailable",
        ]
        assert json.loads(rows[1][1]) == {"model": "kling-2.6", "promptLength": 42}
    finally:
        await bridge.stop()
        service.stop()
