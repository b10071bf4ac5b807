"""``riskhub db``: schema migrations."""

from __future__ import annotations

import typer

from riskhub.cli.common import console, errors, ready_engine
from riskhub.db import migrate
from riskhub.settings import get_settings

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Create or migrate the database schema to the newest version."""
    built = migrate.upgrade()
    if built:
        console.print(f"KPI rollup built for {', '.join(built)}.")
    url = get_settings().effective_admin_database_url
    console.print(f"Database at revision {migrate.current()} ({_safe(url)}).")


@app.command()
def rollup(
    party: list[str] = typer.Option([], help="Only these Parties (default: all)."),
) -> None:
    """Recompute the KPI rollup from the stored decisions, inspections and release times.

    It is kept up to date as data arrives; this is for an operator who restored a
    backup of some tables, or doubts the numbers.
    """
    from riskhub.kpis import rollup as kpi_rollup
    from riskhub.reference.parties import DECLARATION_OWNERS

    unknown = [p for p in party if p not in DECLARATION_OWNERS]
    if unknown:
        errors.print(f"[red]unknown Party {unknown[0]!r}[/]")
        raise typer.Exit(2)
    engine = ready_engine()
    for code in party or sorted(DECLARATION_OWNERS):
        rows = kpi_rollup.rebuild(engine=engine, party=code)
        if rows or party:
            console.print(f"{code}: {rows:,} rollup rows")


@app.command()
def current() -> None:
    """Print the schema revision the database is at."""
    console.print(migrate.current() or "none")


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
