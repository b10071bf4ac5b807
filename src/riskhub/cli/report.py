"""``riskhub report``: the semi-annual review (HTML/PDF), profile reviews, pilot comparisons."""

from __future__ import annotations

import json
from datetime import datetime, time
from pathlib import Path

import typer

from riskhub.cli.common import console, errors, ready_engine
from riskhub.kpis import report, service
from riskhub.reference.parties import DECLARATION_OWNERS, LIVE_OWNERS

app = typer.Typer(help="Reviews and analyses for the M&E of risk management.", no_args_is_help=True)


def _parties(party: list[str]) -> list[str]:
    unknown = [p for p in party if p not in DECLARATION_OWNERS]
    if unknown:
        errors.print(f"[red]unknown Party {unknown[0]!r}[/]")
        raise typer.Exit(2)
    return sorted(party) or sorted(LIVE_OWNERS)


@app.command("review")
def review(
    period: str = typer.Option(..., help="2026H1, 2026H2 or a year, e.g. 2026."),
    out: Path = typer.Option(..., help="FILE.pdf or FILE.html"),
    party: list[str] = typer.Option(
        [], help="Only these Parties (default: all but the ZZ sandbox)."
    ),
) -> None:
    """The semi-annual review with the post-implementation review of selectivity (L5)."""
    try:
        chosen = report.parse_period(period)
    except ValueError as error:
        errors.print(f"[red]{error}[/]")
        raise typer.Exit(2) from error
    data = report.build(engine=ready_engine(), parties=_parties(party), period=chosen)
    try:
        written = report.write(data, out)
    except report.ReportError as error:
        errors.print(f"[red]{error}[/]")
        raise typer.Exit(1) from error
    declarations = data["overall"]["declarations"] if data["overall"] else 0
    console.print(f"Review {chosen.label} ({declarations:,} declarations) written to {written}.")


@app.command("profiles")
def profiles(
    since: datetime = typer.Option(..., formats=["%Y-%m-%d"], help="First day."),
    until: datetime = typer.Option(..., formats=["%Y-%m-%d"], help="Last day (inclusive)."),
    party: list[str] = typer.Option([], help="Only these Parties (several: common profiles)."),
    quiet_days: int = typer.Option(30, min=1, help="Flag profiles with no match this long."),
) -> None:
    """Profile effectiveness review as JSON: hits against random, revenue, cost, flags."""
    first, last = service.period(since.date(), until.date())
    rows = service.profile_review(
        engine=ready_engine(), parties=_parties(party), since=first, until=last,
        quiet_days=quiet_days,
    )  # fmt: skip
    typer.echo(json.dumps(rows, default=str))


@app.command("pilot")
def pilot(
    offices: list[str] = typer.Option(..., help="Pilot office(s)."),
    start: datetime = typer.Option(..., formats=["%Y-%m-%d"], help="First day of the pilot."),
    since: datetime = typer.Option(..., formats=["%Y-%m-%d"], help="First day compared."),
    until: datetime = typer.Option(..., formats=["%Y-%m-%d"], help="Last day compared."),
    control: list[str] = typer.Option([], help="Control office(s) for difference-in-differences."),
    party: list[str] = typer.Option(
        [], help="Only these Parties (default: all but the ZZ sandbox)."
    ),
) -> None:
    """Pilot offices before/after the start date against control offices, as JSON."""
    first, last = service.period(since.date(), until.date())
    try:
        result = service.pilot_comparison(
            engine=ready_engine(), parties=_parties(party), since=first, until=last,
            offices=offices, control=control, start=datetime.combine(start.date(), time.min),
        )  # fmt: skip
    except ValueError as error:
        errors.print(f"[red]{error}[/]")
        raise typer.Exit(2) from error
    typer.echo(json.dumps(result, default=str))
