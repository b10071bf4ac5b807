"""``riskhub lists``: named lists (traders, brokers, vehicles, HS codes, countries) for criteria."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from riskhub.cli.common import console, errors, ready_engine
from riskhub.db.tenancy import acting_for
from riskhub.profiles import service

app = typer.Typer(help="Named lists used by risk criteria.", no_args_is_help=True)


@app.command()
def save(
    name: str,
    path: Path = typer.Argument(..., help="One entry per line; '#' starts a comment."),
    party: str = typer.Option(..., "--party"),
    kind: str = typer.Option(..., help=", ".join(service.LIST_KINDS)),
    distribution: str = typer.Option("own", help="own, group, cefta or cefta_eu"),
) -> None:
    """Create or replace a named list from a text file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    entries = [line.split("#", 1)[0].strip() for line in lines]
    try:
        with acting_for(party), Session(ready_engine()) as session, session.begin():
            row = service.save_list(
                session=session,
                party=party,
                name=name,
                kind=kind,
                entries=entries,
                distribution=distribution,
            )
            version, size = row.version, len(service.list_entries(row))
    except service.ProfileError as error:
        errors.print(f"[red]{error}[/]")
        raise typer.Exit(1) from None
    console.print(f"{party}/{name}: {size:,} entries, version {version}.")


@app.command("list")
def list_(party: str = typer.Option(..., "--party")) -> None:
    """The lists a Party's criteria can use."""
    table = Table("name", "owner", "kind", "entries", "version", "distribution")
    with acting_for(party), Session(ready_engine()) as session:
        for name, row in service.visible_lists(session=session, party=party).items():
            table.add_row(
                name,
                row.party,
                row.kind,
                str(len(service.list_entries(row))),
                str(row.version),
                row.distribution,
            )
    console.print(table)
