"""``riskhub db``: schema migrations."""

from __future__ import annotations

import typer

from riskhub.cli.common import console
from riskhub.db import migrate
from riskhub.settings import get_settings

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Create or migrate the database schema to the newest version."""
    migrate.upgrade()
    url = get_settings().effective_admin_database_url
    console.print(f"Database at revision {migrate.current()} ({_safe(url)}).")


@app.command()
def current() -> None:
    """Print the schema revision the database is at."""
    console.print(migrate.current() or "none")


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
