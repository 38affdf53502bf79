"""Fixtures for the provider tests: one emulator for the session, a character image served
over HTTP, adapters built on a short-timeout client, and a log capture that the last test
of this directory scans for secrets (test_zz_no_secrets_in_logs.py)."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import numpy as np
import pytest
from PIL import Image

from service.providers.http import create_http_client
from service.providers.registry import AdapterRegistry
from shared.logging import RedactingFilter
from tests.support.emulator import RunningEmulator, running_emulator, serving_bytes

# Short enough that hang faults cost a second, long enough for a loaded 2-core machine.
TEST_TIMEOUT = httpx.Timeout(connect=2.0, read=1.5, write=2.0, pool=2.0)


class CapturingHandler(logging.Handler):
    """Keeps every record twice: as a log file would hold it (after the redacting filter),
    and our own code's messages as written, before any masking."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.raw_own: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.addFilter(RedactingFilter())

    def handle(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(("service.", "reelcraft")):
            self.raw_own.append(record.getMessage())
        return super().handle(record)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


LOG_CAPTURE = CapturingHandler()
SECRETS_SEEN: set[str] = set()


# Package scope: the capture (and DEBUG on the root logger) ends with this directory, so the
# rest of the suite logs as it normally would.
@pytest.fixture(scope="package", autouse=True)
def capture_logs() -> Iterator[CapturingHandler]:
    root = logging.getLogger()
    previous = root.level
    root.addHandler(LOG_CAPTURE)
    root.setLevel(logging.DEBUG)
    try:
        yield LOG_CAPTURE
    finally:
        root.removeHandler(LOG_CAPTURE)
        root.setLevel(previous)


@pytest.fixture(scope="session")
def emulator() -> Iterator[RunningEmulator]:
    with running_emulator(queue_s=0.03, render_s=0.1) as emu:
        SECRETS_SEEN.add(emu.key)
        yield emu


def make_character(width: int = 640, height: int = 360) -> bytes:
    """A colourful image with edges, so a pan is visible frame to frame."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack(
        [(x * 255 // width), (y * 255 // height), ((x // 40 + y // 40) % 2) * 200], axis=-1
    ).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="session")
def character_png() -> bytes:
    return make_character()


@pytest.fixture(scope="session")
def image_url(character_png: bytes) -> Iterator[str]:
    with serving_bytes(character_png) as url:
        yield url


@pytest.fixture
async def registry(emulator: RunningEmulator) -> AsyncIterator[AdapterRegistry]:
    async with create_http_client(timeout=TEST_TIMEOUT) as client:
        yield AdapterRegistry.demo(client, emulator.base_url, emulator.key)
