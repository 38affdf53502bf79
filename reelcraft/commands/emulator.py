"""`reelcraft emulator`: every provider's protocol on one port, rendering real MP4s."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from shared.errors import ErrorCode, ReelcraftError


def _run(args: argparse.Namespace) -> int:
    from service.providers.emulator.core import DEMO_KEY, EmulatorConfig, default_render_dir
    from service.providers.emulator.faults import SCENARIOS, FaultSpecError, scenario_faults
    from service.providers.emulator.server import EmulatorServer
    from shared.logging import configure_logging

    configure_logging(args.log_level)
    try:
        scenario_faults(args.scenario)
    except FaultSpecError as exc:
        named = ", ".join(sorted(SCENARIOS))
        raise ReelcraftError(
            ErrorCode.INVALID_INPUT, f"--scenario: {exc} (named scenarios: {named})"
        ) from None
    config = EmulatorConfig(
        key=args.key or DEMO_KEY,
        queue_s=args.queue_s,
        render_s=args.render_s,
        scenario=args.scenario,
        render_dir=args.render_dir or default_render_dir(),
        state_dir=args.state_dir,
    )
    try:
        server = EmulatorServer(
            config,
            host=args.host,
            port=args.port,
            log_level=args.log_level.lower(),
            public_url=args.public_url,
        )
    except OSError as exc:
        raise ReelcraftError(
            ErrorCode.INVALID_INPUT, f"cannot listen on {args.host}:{args.port}: {exc.strerror}"
        ) from None
    # The demo key is public by design; a key the user chose is never echoed.
    key_line = f"demo key: {DEMO_KEY}" if args.key is None else "key: (as given with --key)"
    sys.stdout.write(
        f"Reelcraft provider emulator on {server.base_url}\n"
        f"  {key_line}   (Kling: access key = secret key = the key; Stripe: sk_test_<key>)\n"
        f"  fal, Kie, Gemini, Kling, Pollo, Runway at their real paths; "
        f"faults: POST {server.base_url}/_emulator/faults\n"
    )
    sys.stdout.flush()
    server.run()
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("emulator", help="run the provider emulator (demo mode, tests)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    p.add_argument(
        "--public-url",
        default=None,
        metavar="URL",
        help="base of the URLs handed out (default: http://HOST:PORT)",
    )
    p.add_argument(
        "--key",
        default=None,
        metavar="K",
        help="the one credential every emulated provider accepts",
    )
    p.add_argument(
        "--scenario",
        default=None,
        metavar="S",
        help="a named scenario (flaky, outage, ...) or fault specs, comma-separated",
    )
    p.add_argument("--queue-s", type=float, default=1.0, help="seconds each task waits queued")
    p.add_argument("--render-s", type=float, default=4.0, help="seconds each task runs")
    p.add_argument("--render-dir", type=Path, default=None, help="where renders are cached")
    p.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="keep tasks here so they survive a restart (same --port)",
    )
    p.add_argument("--log-level", default="INFO")
    p.set_defaults(handler=_run)
