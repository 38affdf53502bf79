"""Limits the UI enforces before the service does (the schemas validate the same numbers)."""

MAX_PROMPT_CHARS = 500
