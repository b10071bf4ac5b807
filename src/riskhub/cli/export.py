"""``riskhub export parquet``: declarations as Parquet item rows, for Spark or analytics."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer
from rich.progress import Progress, TaskID

from riskhub.batch.export import export_rows
from riskhub.cli.common import (
    console,
    errors,
    ready_engine,
    refuse_reversed_window,
    refuse_unknown_parties,
)
from riskhub.reference.parties import DECLARATION_OWNERS

app = typer.Typer(help="Export data out of the store.", no_args_is_help=True)


@app.command()
def parquet(
    out: Path = typer.Option(..., help="The folder to write (party=XX/YYYY-MM-DD.parquet)."),
    since: datetime = typer.Option(..., formats=["%Y-%m-%d"], help="First lodgement day."),
    until: datetime | None = typer.Option(
        None, formats=["%Y-%m-%d"], help="Day after the last (default: everything after since)."
    ),
    party: list[str] = typer.Option([], help="Only these Parties (default: all)."),
    pending: bool = typer.Option(False, help="Only declaration versions without a decision."),
) -> None:
    """Item rows with their history and SEED fields, a file per Party and month.

    The rows name traders (personal data): write them where only the hub's
    operators and the cluster can read, and delete them after use.
    """
    refuse_unknown_parties(party)
    refuse_reversed_window(since, until)
    engine = ready_engine()
    declarations = rows = 0
    with Progress(console=console, transient=True) as progress:
        for code in sorted(party or DECLARATION_OWNERS):
            task = progress.add_task(code, total=None)

            def report(done: int, of: int, task: TaskID = task) -> None:
                progress.update(task, completed=done, total=of)

            try:
                exported = export_rows(
                    engine_=engine, party=code, out=out, since=since, until=until,
                    pending=pending, progress=report,
                )  # fmt: skip
            except OSError as error:
                # E.g. --out not writable: the Parties already exported are complete.
                errors.print(f"[red]cannot write {code}'s export under {out}: {error}[/]")
                raise typer.Exit(1) from error
            declarations += exported.declarations
            rows += exported.rows
    console.print(f"{declarations:,} declarations ({rows:,} item rows) written under {out}.")
