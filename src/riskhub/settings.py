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
    admin_database_url: str | None = Field(
        default=None,
        description="URL for operators' commands (migrations, bulk loads, audit checks); on "
        "PostgreSQL the schema owner. Unset means the same as the database URL.",
    )
    ingest_chunk_declarations: int = Field(
        default=20_000,
        ge=1,
        description="Declarations per ingest transaction; a crash loses at most one chunk "
        "of work in progress, never committed data.",
    )
    token_days: int = Field(default=90, ge=1, description="Days an API token is valid.")
    hub_key_file: Path | None = Field(
        default=None,
        description="The hub's Ed25519 private key (PEM) that signs audit checkpoints; "
        "unset means <data_dir>/keys/hub-ed25519.pem, created on first use.",
    )
    audit_checkpoint_every: int = Field(
        default=100, ge=1, description="Sign a checkpoint of a Party's audit chain this often."
    )
    retention_years: int = Field(
        default=10, ge=1, description="Years after lodgement that traders' identities are kept."
    )
    node: str = Field(
        default="hub",
        pattern=r"^[a-z0-9][a-z0-9._-]{0,39}$",
        description="This hub's name in the SEED+ exchange; partners register it with its key.",
    )
    node_parties: str = Field(
        default="AL;BA;MD;ME;MK;RS;XK",
        description="';'-separated Parties this hub speaks for in the exchange.",
    )
    exchange_key_file: Path | None = Field(
        default=None,
        description="This node's Ed25519 private key (PEM) that signs exchange messages and "
        "receipts; unset means <data_dir>/keys/exchange-ed25519.pem, created on first use.",
    )
    exchange_ca_file: Path | None = Field(
        default=None,
        description="CA certificates (PEM) that partners' HTTPS certificates are checked "
        "against; unset means the system's.",
    )
    exchange_batch: int = Field(
        default=200, ge=1, le=500, description="Messages per push to one partner node."
    )
    exchange_timeout_s: float = Field(
        default=30.0, gt=0, description="Seconds to wait for a partner node's answer."
    )
    exchange_keep_alive: bool = Field(
        default=True,
        description="Reuse connections to partner nodes; off opens one per push (for gateways "
        "that drop idle connections, and for fault tests that act per connection).",
    )
    threads: int = Field(default=1, ge=1, description="Worker threads for numeric libraries.")
    common_profile_quorum: int | None = Field(
        default=None,
        ge=1,
        le=7,
        description="Approvals that adopt a common risk profile; unset means more than half of "
        "the CEFTA Parties (4 of 7).",
    )

    @property
    def effective_hub_key_file(self) -> Path:
        return self.hub_key_file or self.data_dir / "keys" / "hub-ed25519.pem"

    @property
    def effective_exchange_key_file(self) -> Path:
        return self.exchange_key_file or self.data_dir / "keys" / "exchange-ed25519.pem"

    @property
    def parties_served(self) -> frozenset[str]:
        return frozenset(p.strip().upper() for p in self.node_parties.split(";") if p.strip())

    @property
    def effective_admin_database_url(self) -> str:
        """The database URL operators' commands use."""
        return self.admin_database_url or self.effective_database_url

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
