"""The provider emulator: fal, Kie, Gemini Veo, Kling, Pollo and Runway (and Stripe Checkout,
from `stripe_api`) at their real paths on one port, rendering real MP4s, misbehaving on demand.

In-process (the service's demo mode, tests):

    from service.providers.emulator.core import EmulatorConfig
    from service.providers.emulator.server import EmulatorServer

    emulator = EmulatorServer(EmulatorConfig(queue_s=1, render_s=4)).start()
    emulator.base_url, emulator.key        # point every adapter here
    emulator.stop()

From a shell: `reelcraft emulator [--host] [--port] [--key K] [--scenario S]`.
`EmulatorConfig(state_dir=...)` (`--state-dir`) keeps tasks across restarts (persist.py):
restart on the same port with the same key and handles persisted by the service still work.
Fault injection: see `faults.py` (spec syntax, kinds) and `control.py` (`/_emulator/*`).

Modules: core (config, tasks, clock-driven states), persist (the task journal), faults,
protocol (shared helpers and error dialects), render (PyAV), files (signed URLs, Range,
download faults), control, app (the ASGI app), server (uvicorn on a thread), and one
module per provider.
"""
