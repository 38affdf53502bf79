"""Logging that never lets a secret through: registered values and known key shapes are
masked in every record, whatever the handler."""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

_MASK = "***"
_lock = threading.Lock()
_secrets: set[str] = set()

# Shapes of credentials that may show up inside URLs, headers or provider messages.
_PATTERNS = [
    re.compile(r"(?i)(authorization\s*[:=]\s*)(bearer|key|basic)?\s*[^\s,;'\"]+"),
    re.compile(r"(?i)(x-(?:goog-)?api-key\s*[:=]\s*)[^\s,;'\"]+"),
    re.compile(r"(?i)([?&](?:key|token|api_key|access_token)=)[^&\s'\"]+"),
    re.compile(r"\b(sk_(?:test|live)_)[A-Za-z0-9_\-]+"),
    re.compile(r"\b(whsec_)[A-Za-z0-9_\-]+"),
    re.compile(r"\b(eyJ)[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+"),
]


def register_secret(value: str | None) -> None:
    """Mask this exact value in every log line from now on (values under 6 chars are ignored)."""
    if value and len(value) >= 6:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, _MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: f"{m.group(1)}{_MASK}", text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "INFO", log_file: Path | None = None) -> None:
    """Root logging with redaction on every handler; idempotent."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    for handler in list(root.handlers):
        if getattr(handler, "_reelcraft", False):
            root.removeHandler(handler)
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler.addFilter(RedactingFilter())
        handler._reelcraft = True  # type: ignore[attr-defined]
        root.addHandler(handler)
