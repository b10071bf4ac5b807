"""``riskhub kpi``: the KPIs of risk management for a period, as a table or JSON."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import typer
from rich import box
from rich.table import Table

from riskhub.cli.common import console, errors, ready_engine
from riskhub.kpis import service
from riskhub.reference.parties import DECLARATION_OWNERS, LIVE_OWNERS

BY = ("party", "office", "profile", "channel")


def kpi(
    since: datetime | None = typer.Option(None, formats=["%Y-%m-%d"], help="First day."),
    until: datetime | None = typer.Option(None, formats=["%Y-%m-%d"], help="Last day (inclusive)."),
    by: str | None = typer.Option(None, help="Group by office, party, profile or channel."),
    party: list[str] = typer.Option(
        [], help="Only these Parties (default: all but the ZZ sandbox)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Selectivity, hit rates, random baseline, detection, leakage, revenue, release times."""
    if by is not None and by not in BY:
        errors.print(f"[red]--by is one of {', '.join(BY)}, not {by!r}[/]")
        raise typer.Exit(2)
    unknown = [p for p in party if p not in DECLARATION_OWNERS]
    if unknown:
        errors.print(f"[red]unknown Party {unknown[0]!r}[/]")
        raise typer.Exit(2)
    try:
        first, last = service.period(
            since.date() if since else None, until.date() if until else None, days=3650
        )
    except ValueError as error:
        errors.print(f"[red]{error}[/]")
        raise typer.Exit(2) from error
    parties = sorted(party) or sorted(LIVE_OWNERS)
    rows = service.kpi_table(engine=ready_engine(), parties=parties, since=first, until=last, by=by)
    if as_json:
        head = {**service.span(first, last), "by": by, "parties": parties}
        typer.echo(json.dumps({**head, "rows": rows}, default=str))
        return
    days = service.span(first, last)
    console.print(kpi_table(rows, by=by, title=f"KPIs {days['since']} to {days['until']}"))
    if by in (None, "party", "office"):
        for line in population_lines(rows, by=by):
            console.print(line)


def _ci(interval: dict[str, Any] | None, percent: bool = True) -> str:
    if not interval or interval.get("estimate") is None:
        return "–"
    k, fmt = (100, "{:.1f}%") if percent else (1, "{:,.0f}")
    e, lo, hi = (interval[x] * k for x in ("estimate", "low", "high"))
    return f"{fmt.format(e)} ({fmt.format(lo)}–{fmt.format(hi)})"


def kpi_table(rows: list[dict[str, Any]], *, by: str | None, title: str) -> Table:
    """A rich table of KPI rows, narrow enough for an 80-column terminal."""
    table = Table(
        by or "all", "declared", "inspected", "hit rate (95% CI)", "revenue €", "release h",
        "p90 h", title=title, box=box.SIMPLE_HEAD,
    )  # fmt: skip
    for row in rows:
        hours = row["release_hours"]
        table.add_row(
            str(row.get(by, "all")) if by else "all",
            f"{row['declarations']:,}",
            f"{row['inspections']:,}",
            _ci(row["hit_rate"]),
            f"{row['revenue_total_eur']:,.0f}",
            "–" if hours["median"] is None else f"{hours['median']:.2f}",
            "–" if hours["p90"] is None else f"{hours['p90']:.2f}",
        )
    return table


def population_lines(rows: list[dict[str, Any]], *, by: str | None) -> list[str]:
    """The random-sample estimates in plain sentences, one per group."""
    out = []
    for row in rows:
        sample = row["random_sample"] or {}
        who = f"{row[by]}: " if by else ""
        out.append(
            f"{who}random sample {sample.get('inspected', 0):,} inspected, compliance "
            f"{_ci(sample.get('compliance_rate'))}; non-compliant declarations ≈ "
            f"{_ci(row['non_compliant_estimate'], percent=False)}; detection rate "
            f"{_ci(row['detection_rate'])}; leakage ≈ {_ci(row['leakage'], percent=False)}."
        )
    return out
