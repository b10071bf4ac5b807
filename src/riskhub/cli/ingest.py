"""``riskhub ingest``: load declaration files."""

from __future__ import annotations

import csv
from pathlib import Path

import orjson
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from riskhub.audit import service as audit
from riskhub.cli.common import console, errors, ready_engine
from riskhub.declarations import service
from riskhub.declarations.problems import Problem
from riskhub.declarations.readers import FORMATS
from riskhub.reference.parties import SANDBOX_PARTY
from riskhub.settings import get_settings

SHOWN_PROBLEMS = 20
EXIT_SOME_REJECTED = 3


def ingest(
    files: list[Path] = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    fmt: str = typer.Option("auto", "--format", help=f"One of {', '.join(FORMATS)}."),
    party: str = typer.Option(SANDBOX_PARTY, help="Owning Party of KCS rows (--format kcs)."),
    rejects: Path | None = typer.Option(
        None, help="Write every rejected row here as CSV (default: under the data directory)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON summary per file."),
) -> None:
    """Load CSV, JSON Lines or Parquet declarations (or the KCS data set).

    Good declarations are stored even when others are rejected; each rejected row
    is listed with its line, field and reason. Loading the same file again stores
    nothing twice. Exit code 0: all stored; 3: some rows were rejected.
    """
    if fmt not in FORMATS:
        errors.print(f"[red]Unknown format '{fmt}'.[/] Use one of {', '.join(FORMATS)}.")
        raise typer.Exit(2)
    engine = ready_engine()
    settings = get_settings()
    any_rejected = False
    for path in files:
        with _progress(path, quiet=as_json) as report:
            try:
                summary = service.ingest_path(
                    engine=engine,
                    path=path,
                    fmt=fmt,
                    kcs_party=party.upper(),
                    chunk_declarations=settings.ingest_chunk_declarations,
                    progress=report,
                )
            except ValueError as exc:
                errors.print(f"[red]{path}: {exc}[/]")
                raise typer.Exit(2) from exc
        audit.append(
            engine=engine, party=None, actor="cli", action="declarations.ingest",
            object=f"run:{summary.run_id}", source="cli",
            outcome=f"stored {summary.stored}, amended {summary.amended}, "
            f"rejected rows {summary.rejected_rows}",
        )  # fmt: skip
        target = None
        if summary.problems:
            any_rejected = True
            target = rejects or settings.data_dir / "rejects" / f"run-{summary.run_id}.csv"
            _write_rejects(target, summary.problems)
        if as_json:
            counts = {**summary.counts(), "rejects_file": str(target) if target else None}
            typer.echo(orjson.dumps(counts).decode())
        else:
            _print_summary(summary, target)
    if any_rejected:
        raise typer.Exit(EXIT_SOME_REJECTED)


class _progress:
    """A rich progress bar over declarations stored, hidden for JSON output."""

    def __init__(self, path: Path, *, quiet: bool) -> None:
        self.quiet = quiet
        self.bar = Progress(
            TextColumn(f"[bold]{path.name}[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("declarations"),
            TimeElapsedColumn(),
            console=errors,
            transient=True,
        )
        self.task = self.bar.add_task("load", total=None)

    def __enter__(self) -> service.Progress:
        if not self.quiet:
            self.bar.start()
        return self.update

    def update(self, done: int, total: int) -> None:
        self.bar.update(self.task, completed=done, total=total)

    def __exit__(self, *_: object) -> None:
        self.bar.stop()


def _print_summary(summary: service.IngestSummary, rejects: Path | None) -> None:
    table = Table(title=f"{summary.source} (run {summary.run_id})", show_header=False)
    table.add_row("declarations stored", f"{summary.stored:,}")
    table.add_row("declarations amended", f"{summary.amended:,}")
    table.add_row("declarations unchanged", f"{summary.unchanged:,}")
    table.add_row("items written", f"{summary.items:,}")
    table.add_row("rows rejected", f"{summary.rejected_rows:,}")
    if summary.duplicate_rows:
        table.add_row("repeated rows counted once", f"{summary.duplicate_rows:,}")
    console.print(table)
    if summary.ignored_columns:
        console.print(
            f"Columns ignored (not declaration fields): {', '.join(summary.ignored_columns)}"
        )
    for problem in summary.problems[:SHOWN_PROBLEMS]:
        errors.print(f"  [yellow]rejected[/] {problem}", markup=True, highlight=False)
    hidden = len(summary.problems) - SHOWN_PROBLEMS
    if hidden > 0:
        errors.print(f"  ... and {hidden:,} more problems.")
    if rejects:
        errors.print(f"Every problem is listed in {rejects}.")


def _write_rejects(path: Path, problems: list[Problem]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["location", "line", "field", "reason", "party", "reference"])
        for p in problems:
            writer.writerow([p.location, p.line, p.field, p.reason, p.party, p.reference])
