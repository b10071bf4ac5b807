"""``riskhub offices``: each office's random-control rates, channel targets and capacity."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from riskhub.cli.common import console, errors, ready_engine
from riskhub.db.tenancy import acting_for
from riskhub.selectivity import service
from riskhub.selectivity.pipeline import OfficeRates

app = typer.Typer(help="Offices' selectivity settings.", no_args_is_help=True)


@app.command()
def show(party: str = typer.Option(..., "--party")) -> None:
    """A Party's offices and their settings (defaults where none were set)."""
    with acting_for(party), Session(ready_engine()) as session:
        found = service.offices_of(session=session, party=party)
    table = Table("office", "random", "random AEO", "target red", "target yellow", "red/day")
    for code, r in found.items():
        capacity = "-" if r.red_capacity_per_day is None else str(r.red_capacity_per_day)
        table.add_row(
            code,
            f"{r.random_rate:.1%}",
            f"{r.random_rate_aeo:.1%}",
            f"{r.target_red:.1%}",
            f"{r.target_yellow:.1%}",
            capacity,
        )
    console.print(table)


@app.command("set")
def set_(
    office: str,
    party: str = typer.Option(..., "--party"),
    random: float = typer.Option(0.02, min=0.0, max=1.0, help="Random control sample."),
    random_aeo: float = typer.Option(
        0.005, min=0.0, max=1.0, help="Random sample for AEO holders."
    ),
    red: float = typer.Option(0.05, min=0.0, max=1.0, help="Target share of physical controls."),
    yellow: float = typer.Option(
        0.10, min=0.0, max=1.0, help="Target share of documentary checks."
    ),
    capacity: int | None = typer.Option(None, min=0, help="Physical inspections a day."),
    revenue_weight: float = typer.Option(
        0.03, min=0.0, max=1.0, help="Risk model: 0 ranks by probability, more lifts revenue."
    ),
    exploration: float = typer.Option(
        0.5, min=0.0, max=5.0, help="Risk model: bonus for goods it has seen little of."
    ),
) -> None:
    """Set an office's settings; they apply from the next decision on."""
    rates = OfficeRates(random, random_aeo, red, yellow, capacity, revenue_weight, exploration)
    with acting_for(party), Session(ready_engine()) as session, session.begin():
        if not service.set_office_rates(session=session, party=party, office=office, rates=rates):
            errors.print(f"[red]{office} is not an office of {party}.[/]")
            raise typer.Exit(1)
    console.print(f"{office}: saved.")
