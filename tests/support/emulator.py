"""Start the real provider emulator (uvicorn, 127.0.0.1, a free port, a background thread).

    from tests.support.emulator import running_emulator

    with running_emulator(queue_s=0.1, render_s=0.3) as emu:
        emu.base_url        # "http://127.0.0.1:PORT": every provider at its real paths
        emu.key             # the one credential every emulated provider accepts
        emu.inject("truncated_download")          # global fault (POST /_emulator/faults)
        emu.marker("content_policy_at_result")    # "[emulator:content_policy_at_result]"
        emu.clear_faults()

Fault injection (full list in service/providers/emulator/faults.py). A spec is
`kind` or `kind?param=value&...`; common params: `on` = submit | status | result | cancel |
download, `times` = N | inf, `provider` (global faults only), `p` = probability.

Three ways to trigger one, all over real HTTP:
1. A marker in the prompt, `[emulator:SPEC]`: travels end-to-end through the real adapters,
   the job service and the CLI with no special code. Submit-phase markers fire `times`
   times per prompt text (so an automatic re-submit of the same prompt gets through);
   later-phase markers (on=status, on=download, ...) attach to the task and its files.
2. The header `X-Emulator-Fault: SPEC[, SPEC]` on one request (e.g. a download).
3. Global: `emu.inject(SPEC)` == `POST {base_url}/_emulator/faults {"spec": SPEC}`;
   `DELETE /_emulator/faults` clears; `--scenario` sets them at start.

Kinds: rate_limited (429 + Retry-After; retry_after=1), server_error (5xx burst; status=503,
times=3), hang (no answer; seconds=), malformed_json, content_policy_at_submit,
content_policy_at_result, render_failure, cancelled (provider-side), stuck (never finishes),
expired_url (403/404 in the provider's storage style), slow_download (bytes_per_s=65536),
truncated_download (full Content-Length, fraction=0.5 sent, connection closed),
dropped_download (reset after fraction=0.3), wrong_length (shorter Content-Length and
body), corrupt_download (same length, garbled bytes), timing (queue_s=, render_s=),
flat_envelope (Pollo's unwrapped envelope). Download faults default to times=1, so the
retry or Range resume that follows succeeds.

Outcome markers (content_policy_at_result, render_failure, cancelled, stuck) hold for every
submit of their prompt, unless they say `times=N`: `[emulator:render_failure?times=1]` fails
the first render and lets the runner's retry succeed.

Renders are cached on disk by content (`render_dir`, shared by default), so tests that ask
for the same image, duration and size render once per machine. `state_dir=` keeps tasks
across a restart; restart with the same `key` and `port=emu.port` and old handles work.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from service.providers.emulator.core import EmulatorConfig, EmulatorState, default_render_dir
from service.providers.emulator.server import EmulatorServer


@dataclass
class RunningEmulator:
    base_url: str
    key: str
    server: EmulatorServer

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def state(self) -> EmulatorState:
        return self.server.state

    def inject(self, spec: str) -> None:
        resp = httpx.post(f"{self.base_url}/_emulator/faults", json={"spec": spec}, timeout=5)
        resp.raise_for_status()

    def clear_faults(self) -> None:
        httpx.delete(f"{self.base_url}/_emulator/faults", timeout=5).raise_for_status()

    def set_timing(self, queue_s: float, render_s: float) -> None:
        resp = httpx.post(
            f"{self.base_url}/_emulator/timing",
            json={"queue_s": queue_s, "render_s": render_s},
            timeout=5,
        )
        resp.raise_for_status()

    @staticmethod
    def marker(spec: str) -> str:
        return f"[emulator:{spec}]"


@contextmanager
def running_emulator(
    key: str | None = None,
    scenario: str | None = None,
    queue_s: float = 0.1,
    render_s: float = 0.3,
    render_dir: Path | None = None,
    url_ttl_s: float = 3600.0,
    state_dir: Path | None = None,
    port: int = 0,
) -> Iterator[RunningEmulator]:
    config = EmulatorConfig(
        key=key or f"emu-test-{secrets.token_hex(8)}",
        queue_s=queue_s,
        render_s=render_s,
        scenario=scenario,
        render_dir=render_dir or default_render_dir(),
        url_ttl_s=url_ttl_s,
        max_hang_s=30.0,
        state_dir=state_dir,
    )
    with EmulatorServer(config, port=port) as server:
        yield RunningEmulator(base_url=server.base_url, key=config.key, server=server)


@contextmanager
def serving_bytes(
    data: bytes, content_type: str = "image/png", name: str = "character.png"
) -> Iterator[str]:
    """Serve one file over plain HTTP on 127.0.0.1 (a free port); yields its URL.

    Stands in for the job service's input-image endpoint, for routes whose provider fetches
    the image by URL (Kie, Pollo, fal).
    """
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] != f"/{name}":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{name}"
    finally:
        server.shutdown()
        server.server_close()
