"""``riskhub select``: give every undecided declaration its channel."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.progress import Progress, TaskID
from rich.table import Table

from riskhub.cli.common import console, ready_engine
from riskhub.reference.parties import DECLARATION_OWNERS
from riskhub.selectivity import service


def select_(
    party: list[str] = typer.Option(None, help="Parties to decide for (default: all)."),
    since: datetime | None = typer.Option(None, help="Only declarations lodged from this day."),
) -> None:
    """Decide channels for declarations without a decision, batch by month; safe to rerun."""
    engine = ready_engine()
    table = Table("office", "green", "blue", "yellow", "red", "red %", title="Channels decided")
    total = 0
    with Progress(console=console, transient=True) as progress:
        for code in sorted(party or DECLARATION_OWNERS):
            task = progress.add_task(f"{code}", total=None)

            def report(done: int, of: int, task: TaskID = task) -> None:
                progress.update(task, completed=done, total=of)

            summary = service.decide_pending(
                engine_=engine, party=code, since=since, progress=report
            )
            total += summary.decided
            for office, counts in sorted(summary.by_office.items()):
                n = sum(counts.values())
                cells = [f"{counts.get(c, 0):,}" for c in ("green", "blue", "yellow", "red")]
                table.add_row(office, *cells, f"{counts.get('red', 0) / n:.1%}")
    console.print(table)
    console.print(f"{total:,} declarations decided.")
