"""The `reelcraft` command: the composition root that wires the studio, the service and the
CLI together. It is the only package allowed to import both `desktop` and `service`."""
