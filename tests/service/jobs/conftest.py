"""One real service subprocess per module (demo mode: the embedded emulator renders)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.images import character_png
from tests.support.service import ServiceProcess, running_service


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    with running_service(tmp_path_factory.mktemp("svc")) as svc:
        yield svc


@pytest.fixture
def api(service: ServiceProcess) -> Iterator[httpx.Client]:
    with service.http() as client:
        yield client


class Studio:
    """What a test does through the API, in the words of the product."""

    def __init__(self, api: httpx.Client) -> None:
        self.api = api
        self._image: str | None = None

    def grant(self, amount: int) -> None:
        r = self.api.post("/credits/grants", json={"user_id": "local", "amount": amount})
        assert r.status_code == 201, r.text

    def balance(self) -> dict[str, int]:
        r = self.api.get("/credits/balance")
        assert r.status_code == 200, r.text
        return dict(r.json())

    def image(self) -> str:
        if self._image is None:
            r = self.api.post("/inputs", content=character_png(), headers={"X-Filename": "a.png"})
            assert r.status_code == 201, r.text
            self._image = str(r.json()["sha256"])
        return self._image

    def submit(
        self, model: str = "kling-2.6", duration: int = 5, prompt: str = "", **extra: Any
    ) -> httpx.Response:
        body = {
            "model": model,
            "duration_s": duration,
            "prompt": prompt,
            "input_image_sha256": extra.pop("input_image_sha256", None) or self.image(),
            "character_name": "Mira",
            **extra,
        }
        return self.api.post("/generations", json=body)

    def generate(self, **kwargs: Any) -> dict[str, Any]:
        r = self.submit(**kwargs)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def get(self, generation_id: str) -> dict[str, Any]:
        r = self.api.get(f"/generations/{generation_id}")
        assert r.status_code == 200, r.text
        return dict(r.json())

    def wait(
        self, generation_id: str, *, until: set[str] | None = None, timeout: float = 60
    ) -> dict[str, Any]:
        until = until or {"ready", "failed", "cancelled"}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            g = self.get(generation_id)
            if g["state"] in until:
                return g
            time.sleep(0.1)
        raise AssertionError(f"{generation_id} stuck in {g['state']}")

    def refunds(self, generation_id: str) -> list[dict[str, Any]]:
        entries = self.api.get("/credits/statement", params={"limit": 200}).json()["entries"]
        return [
            e
            for e in entries
            if e.get("job_id") == generation_id and e.get("source") == "video_post_refund"
        ]

    def timeline(self, generation_id: str) -> list[dict[str, Any]]:
        return list(self.api.get(f"/generations/{generation_id}/events").json())


@pytest.fixture
def studio(api: httpx.Client) -> Studio:
    return Studio(api)


@pytest.fixture
def image_file(tmp_path: Path) -> Path:
    path = tmp_path / "mira.png"
    path.write_bytes(character_png())
    return path
