"""``riskhub actionplan``: the Strategy's 30 activities, and the KPIs the hub measures itself."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson
import typer
from rich.table import Table
from sqlalchemy.orm import Session

from riskhub.actionplan import activities, measures, service
from riskhub.audit import service as audit
from riskhub.cli.common import console, errors, ready_engine
from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for
from riskhub.reference.parties import SECRETARIAT_PARTY

app = typer.Typer(help="The Action Plan (S1-S14, M1-M9, L1-L7) and its measured KPIs.",
                  no_args_is_help=True)  # fmt: skip
SHIPPED = Path(activities.__file__).parent / "data" / activities.SEED


@app.command()
def show(
    on: str | None = typer.Option(None, help="Measure as of this day (YYYY-MM-DD; default today)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON document instead of a table."),
) -> None:
    """Every activity with its KPI; the measured value and target where riskhub measures it."""
    day = date.fromisoformat(on) if on else date.today()
    found = measures.measure_all(engine=ready_engine(), today=day)
    if as_json:
        rows = [
            {"code": a.code, "term": a.term, "activity": a.activity, "kpi": a.kpi,
             "measured": vars(found[a.code]) | {"met": found[a.code].met}
             if a.code in found else None}
            for a in activities.load()
        ]  # fmt: skip
        typer.echo(orjson.dumps(rows).decode())
        return
    table = Table("code", "term", "activity", "KPI", "measured", title=f"Action Plan on {day}")
    for a in activities.load():
        m = found.get(a.code)
        table.add_row(a.code, a.term, a.activity, a.kpi, _measured(m) if m else "–")
    console.print(table)


def _measured(m: measures.Measure) -> str:
    if m.unit == "share":
        text = f"{m.value:.0%} (target {m.target:.0%})"
    else:
        text = f"{m.value:,.0f} (target {m.target:,.0f})"
    return f"[green]{text}[/]" if m.met else f"[yellow]{text}[/]"


@app.command()
def seed(
    strategy: Path = typer.Argument(..., exists=True, help="The Strategy as text."),
    out: Path = typer.Option(SHIPPED, help="Where to write the activities (default: shipped)."),
) -> None:
    """Read the Action Plan table from the Strategy's text and write the activities as JSON."""
    try:
        found = activities.parse(strategy.read_text(encoding="utf-8"))
    except activities.ActionPlanError as error:
        errors.print(f"[red]{error}[/]")
        raise typer.Exit(1) from error
    activities.write_seed(found, out)
    console.print(f"Wrote {len(found)} activities to {out}.")


@app.command()
def review(
    period: str = typer.Argument(..., help="The half-year, such as 2026-H2."),
) -> None:
    """Take the semi-annual review snapshot (as the Secretariat), once per half-year."""
    engine = ready_engine()
    measured = measures.measure_all(engine=engine)
    try:
        with acting_for(SECRETARIAT_PARTY), Session(engine) as session, session.begin():
            service.take_snapshot(session=session, party=SECRETARIAT_PARTY, period=period,
                                  measured=measured, actor="cli", now=utcnow())  # fmt: skip
    except activities.ActionPlanError as error:
        errors.print(f"[red]{error}[/]")
        raise typer.Exit(1) from error
    audit.append(engine=engine, party=SECRETARIAT_PARTY, actor="cli",
                 action="actionplan.review", object=f"review:{period}", outcome="taken",
                 source="cli")  # fmt: skip
    console.print(f"Review {period} taken.")


@app.command()
def compare(
    earlier: str = typer.Argument(..., help="The earlier review, such as 2026-H1."),
    later: str = typer.Argument(..., help="The later review, such as 2026-H2."),
) -> None:
    """Two reviews side by side: progress per activity, and who changed status."""
    with Session(ready_engine()) as session:
        taken = {s.period: s for s in service.snapshots(session=session)}
    missing = [p for p in (earlier, later) if p not in taken]
    if missing:
        errors.print(f"[red]no review taken for {missing[0]} (taken: "
                     f"{', '.join(taken) or 'none'})[/]")  # fmt: skip
        raise typer.Exit(1)
    table = Table("code", earlier, later, "change", "status changed at",
                  title=f"Action Plan: {earlier} → {later}")  # fmt: skip
    for r in service.compare(taken[earlier], taken[later]):
        table.add_row(r["code"], f"{r['before']}%", f"{r['after']}%", f"{r['delta']:+d}",
                      ", ".join(r["changed"]) or "–")  # fmt: skip
    console.print(table)
