"""Settings from the environment (prefix `REELCRAFT_`) and the `--data-dir` option."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.paths import default_data_dir


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REELCRAFT_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    db_url: str | None = Field(default=None, description="default: SQLite in the data dir")
    price_book: str = "default"
    log_level: str = "INFO"
    service_url: str | None = Field(default=None, description="a team server; default: local")
    service_token: SecretStr | None = None
    user_id: str = "local"
    cache_budget_mb: int = Field(default=4096, gt=0)
    max_concurrent_per_user: int = Field(default=3, gt=0)
    daily_cap_per_user: int = Field(default=100, gt=0)
    reservation_timeout_s: int = Field(default=6 * 3600, gt=0)
    # Demo mode: how long the embedded emulator queues and renders (simulated provider time).
    emulator_queue_s: float = Field(default=1.0, ge=0)
    emulator_render_s: float = Field(default=4.0, ge=0)
    # Demo mode against an emulator running elsewhere (its URL and key) instead of embedded.
    emulator_url: str | None = None
    emulator_key: SecretStr | None = None
    # Stripe Checkout for credit purchases (demo mode: the emulator's Stripe, set up itself).
    stripe_secret_key: SecretStr | None = None
    stripe_api_base: str = "https://api.stripe.com"
    stripe_webhook_secret: SecretStr | None = None
    # An API-only replica (team mode) accepts and serves but leaves rendering to others.
    runner_enabled: bool = True

    @property
    def database_url(self) -> str:
        return self.db_url or f"sqlite+aiosqlite:///{self.data_dir / 'reelcraft.db'}"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    def ensure_dirs(self) -> None:
        for d in (self.data_dir, self.media_dir, self.log_dir):
            d.mkdir(parents=True, exist_ok=True)


def load_settings(data_dir: Path | None = None) -> Settings:
    """Settings for this run; an explicit `--data-dir` wins over `REELCRAFT_DATA_DIR`."""
    if data_dir is not None:
        return Settings(data_dir=data_dir)
    return Settings()
