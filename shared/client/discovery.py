"""Find the local service through its service file, or start one (SPEC section 4).

The service writes `<data dir>/service.json` (mode 0600) with its URL and bearer token; any
app window or CLI command reads it, checks `/health`, and reuses that service. If none
answers, it starts `python -m reelcraft --data-dir D service` as a detached background
process and waits for the file to appear.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from shared.client.http import ServiceClient, ServiceUnreachable

SERVICE_FILE = "service.json"


class ServiceFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: str
    token: str
    pid: int
    demo_mode: bool = True


def service_file_path(data_dir: Path) -> Path:
    return data_dir / SERVICE_FILE


def read_service_file(data_dir: Path) -> ServiceFile | None:
    path = service_file_path(data_dir)
    try:
        return ServiceFile.model_validate_json(path.read_bytes())
    except (OSError, ValueError):
        return None


def write_service_file(data_dir: Path, info: ServiceFile) -> Path:
    """Atomically write the file readable by its owner only (it holds the token)."""
    path = service_file_path(data_dir)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(info.model_dump_json())
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return path


async def _alive(info: ServiceFile) -> ServiceClient | None:
    client = ServiceClient(info.url, info.token, timeout=5.0)
    try:
        await client.health()
        return client
    except Exception:
        await client.aclose()
        return None


def spawn_service(
    data_dir: Path, *, extra_args: list[str] | None = None
) -> subprocess.Popen[bytes]:
    log = (data_dir / "logs").resolve()
    log.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "reelcraft", "--data-dir", str(data_dir), "service"]
    with (log / "service.out").open("ab") as out:
        return subprocess.Popen(
            command + (extra_args or []),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives the window that started it
        )


async def connect_or_start(
    data_dir: Path, *, start: bool = True, timeout_s: float = 30.0
) -> ServiceClient:
    """A client of the running local service, starting one if needed."""
    info = read_service_file(data_dir)
    if info is not None:
        client = await _alive(info)
        if client is not None:
            return client
    if not start:
        raise ServiceUnreachable(f"no Reelcraft service is running for {data_dir}")
    data_dir.mkdir(parents=True, exist_ok=True)
    process = spawn_service(data_dir)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        fresh = read_service_file(data_dir)
        if fresh is not None and fresh.pid == process.pid:
            client = await _alive(fresh)
            if client is not None:
                return client
        if process.poll() is not None:
            # Lost a start race with another window: the other service may be up now.
            other = read_service_file(data_dir)
            if other is not None and (client := await _alive(other)) is not None:
                return client
            raise ServiceUnreachable(
                f"the service exited with code {process.returncode}; "
                f"see {data_dir / 'logs' / 'service.out'}"
            )
    raise ServiceUnreachable(f"the service did not start within {timeout_s:.0f} s")
