"""Run Alembic migrations from code (``riskhub db upgrade``), with the configured URL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from riskhub.settings import get_settings

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at riskhub's migrations and database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url or get_settings().effective_admin_database_url)
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> list[str]:
    """Bring the database schema up to ``revision``; at the head, build derived data that a
    newer schema added (the KPI rollup). The Parties whose rollup was built."""
    command.upgrade(alembic_config(url), revision)
    if revision != "head":
        return []
    from riskhub.db.engine import engine_for
    from riskhub.kpis import rollup
    from riskhub.reference.parties import DECLARATION_OWNERS

    engine = engine_for(url or get_settings().effective_admin_database_url)
    return rollup.fill_missing(engine=engine, parties=sorted(DECLARATION_OWNERS))


def current(url: str | None = None) -> str | None:
    """The schema revision the database is at, or None when it has none."""
    from alembic.runtime.migration import MigrationContext

    from riskhub.db.engine import engine_for

    with engine_for(url or get_settings().effective_admin_database_url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head() -> str | None:
    """The newest revision riskhub's migrations know."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
