"""Start the real service as a subprocess (as the app and the CLI do) for end-to-end tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

# Fast simulated provider times keep the suite short; tests needing longer renders set
# their own timing with a prompt marker like `[emulator:timing?render_s=20]`.
FAST_EMULATOR = {"REELCRAFT_EMULATOR_QUEUE_S": "0.2", "REELCRAFT_EMULATOR_RENDER_S": "0.8"}


def reelcraft(
    data_dir: Path,
    *args: str,
    timeout: float = 120,
    env: dict[str, str] | None = None,
    check: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run the real `reelcraft` command line against a data dir."""
    return subprocess.run(
        [sys.executable, "-m", "reelcraft", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=check,
        env={**os.environ, **FAST_EMULATOR, **(env or {})},
    )


@dataclass
class ServiceProcess:
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    url: str = ""
    token: str = ""

    def start(self, timeout: float = 30.0) -> ServiceProcess:
        return self.start_with("--idle-exit", "0", timeout=timeout)

    def start_with(self, *args: str, timeout: float = 30.0) -> ServiceProcess:
        """Start `reelcraft service` with extra options (the idle exit defaults to never)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        service_file = self.data_dir / "service.json"
        service_file.unlink(missing_ok=True)
        log = (self.data_dir / "service-test.log").open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "reelcraft",
                "--data-dir",
                str(self.data_dir),
                "service",
                *(args if "--idle-exit" in args else ("--idle-exit", "0", *args)),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **FAST_EMULATOR, **self.env},
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"service exited: {self.log_tail()}")
            if service_file.exists():
                info = json.loads(service_file.read_text())
                if info["pid"] == self.process.pid:
                    self.url, self.token = info["url"], info["token"]
                    return self
            time.sleep(0.05)
        raise RuntimeError(f"service did not start: {self.log_tail()}")

    def log_tail(self) -> str:
        path = self.data_dir / "service-test.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url + "/api/v1", headers=self.headers, timeout=30)

    def kill(self) -> None:
        """SIGKILL: no cleanup at all, as in a crash or power loss."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def running_service(data_dir: Path, env: dict[str, str] | None = None) -> Iterator[ServiceProcess]:
    service = ServiceProcess(data_dir, env or {}).start()
    try:
        yield service
    finally:
        service.stop()
