"""Runtime settings, read from ``RISKHUB_*`` environment variables and an optional ``.env``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator can set; each field is ``RISKHUB_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="RISKHUB_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Where the embedded database lives.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; unset means SQLite at <data_dir>/riskhub.sqlite3. "
        "A postgresql+psycopg:// URL switches to PostgreSQL.",
    )
    ingest_chunk_declarations: int = Field(
        default=20_000,
        ge=1,
        description="Declarations per ingest transaction; a crash loses at most one chunk "
        "of work in progress, never committed data.",
    )
    api_tokens: dict[str, str] = Field(
        default_factory=dict,
        description="Interim bearer tokens for the API as {token: party}; replaced by users "
        "and roles stored in the database.",
    )
    threads: int = Field(default=1, ge=1, description="Worker threads for numeric libraries.")

    @property
    def effective_database_url(self) -> str:
        """The database URL in force, defaulting to the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'riskhub.sqlite3').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests clear the cache to change them)."""
    return Settings()
