"""Where Reelcraft keeps its data by default (per-user, per-OS, via platformdirs)."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_path

APP_NAME = "Reelcraft"


def default_data_dir() -> Path:
    return user_data_path(APP_NAME, appauthor=False)
