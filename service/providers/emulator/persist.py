"""Tasks that survive a restart of the emulator (optional: `EmulatorConfig.state_dir`).

In demo mode the emulator lives and dies with the service, and the service resumes every
unfinished job after a restart (SPEC 5): a real provider would still know those tasks, so
the emulator must too. It keeps an append-only JSON-lines journal of task events, the input
images by content hash (to render again if the render cache was cleared), and the key that
signs file URLs (so URLs handed out before the restart stay valid). Restart it on the same
port and every handle the service persisted still works. Fault counters start afresh.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
from pathlib import Path
from typing import Any

log = logging.getLogger("service.providers.emulator")


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


class TaskJournal:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        (directory / "images").mkdir(parents=True, exist_ok=True)
        self._journal = directory / "tasks.jsonl"

    def signing_key(self) -> bytes:
        path = self.directory / "signing.key"
        try:
            key = path.read_bytes()
            if len(key) == 32:
                return key
        except FileNotFoundError:
            pass
        key = secrets.token_bytes(32)
        _write_private(path, key)
        return key

    def save_image(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self.directory / "images" / digest
        if not path.exists():
            _write_private(path, data)
        return digest

    def load_image(self, digest: str) -> bytes | None:
        try:
            return (self.directory / "images" / digest).read_bytes()
        except FileNotFoundError:
            return None

    def append(self, event: dict[str, Any]) -> None:
        line = json.dumps(event, separators=(",", ":")) + "\n"
        with self._journal.open("a", encoding="utf-8") as fh:
            fh.write(line)

    def replay(self) -> list[dict[str, Any]]:
        """Task records with later events (cancel, delete) folded in, in creation order."""
        tasks: dict[tuple[str, str], dict[str, Any]] = {}
        try:
            lines = self._journal.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        for number, line in enumerate(lines, 1):
            try:
                event = json.loads(line)
                key = (event["provider"], event["id"])
            except (ValueError, KeyError, TypeError):
                # A crash mid-append leaves at most the last line torn.
                log.warning("emulator journal: skipping unreadable line %d", number)
                continue
            if event.get("event") == "create":
                tasks[key] = event
            elif key in tasks:
                tasks[key].update({k: v for k, v in event.items() if k != "event"})
        return list(tasks.values())
