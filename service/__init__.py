"""The async job service: HTTP API, jobs, providers, ledger, media cache, storage.

Never imports Qt or `desktop` (enforced by import-linter); runs on any asyncio loop.
"""
