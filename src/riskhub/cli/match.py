"""``riskhub match``: SEED pre-arrival data out, exit/entry matching, and the findings."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from riskhub.cli.common import console, counts_text, errors, ready_engine
from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for
from riskhub.exchange import keys
from riskhub.matching import prearrival, service
from riskhub.matching.engine import Tolerances

app = typer.Typer(help="SEED: pre-arrival data and exit/entry matching.", no_args_is_help=True)


def _day(value: str | None, default: date) -> datetime:
    return datetime.combine(date.fromisoformat(value) if value else default, time())


@app.command()
def publish(
    since: str | None = typer.Option(None, help="First lodgement day (default: yesterday)."),
    until: str | None = typer.Option(None, help="Day after the last (default: tomorrow)."),
) -> None:
    """Send this hub's exports to the Parties of entry (queued for their nodes, or filed here)."""
    today = utcnow().date()
    done = prearrival.publish(
        engine=ready_engine(),
        identity=keys.identity(),
        since=_day(since, today - timedelta(days=1)),
        until=_day(until, today + timedelta(days=1)),
    )
    console.print(f"Pre-arrival exports: {counts_text(done) or 'nothing new'}.")


@app.command()
def run(
    party: str = typer.Option(..., "--party"),
    since: str | None = typer.Option(None, help="First lodgement day (default: 7 days ago)."),
    until: str | None = typer.Option(None, help="Day after the last (default: tomorrow)."),
    now: str | None = typer.Option(None, help="Judge missing entries as of (ISO time)."),
    missing_after: float = typer.Option(48.0, min=1, help="Hours until an export is missing."),
    side: str = typer.Option("both", help="entry, exit or both (run entry on every hub first)."),
) -> None:
    """Match a Party's entries with the exports sent to it, and its exports with arrivals."""
    if side not in (*service.SIDES, "both"):
        errors.print(f"[red]--side must be entry, exit or both, not {side!r}.[/]")
        raise typer.Exit(2)
    today = utcnow().date()
    done = service.run(
        engine=ready_engine(),
        identity=keys.identity(),
        party=party.upper(),
        since=_day(since, today - timedelta(days=7)),
        until=_day(until, today + timedelta(days=1)),
        now=datetime.fromisoformat(now) if now else utcnow(),
        tolerances=Tolerances(missing_after_hours=missing_after),
        sides=service.SIDES if side == "both" else (side,),
    )
    console.print(f"Matching for {party.upper()}: {counts_text(done) or 'nothing new'}.")


@app.command()
def findings(
    party: str = typer.Option(..., "--party"),
    kind: str | None = typer.Option(None, help="Only this kind."),
    limit: int = typer.Option(20, min=1),
) -> None:
    """A Party's findings, newest first."""
    with acting_for(party.upper()), Session(ready_engine()) as session:
        rows = service.findings(session=session, party=party.upper(), kind=kind, limit=limit)
        table = Table("kind", "severity", "exit", "entry", "item", "detail")
        for f in rows:
            table.add_row(
                f.kind,
                f.severity,
                f"{f.exit_party} {f.exit_reference}",
                f"{f.entry_party} {f.entry_reference}".strip(),
                str(f.item_no or ""),
                f.detail,
            )
    console.print(table)
