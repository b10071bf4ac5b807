"""``riskhub aeo``: the registry of Authorised Economic Operators."""

from __future__ import annotations

from pathlib import Path

import orjson
import typer
from rich.markup import escape
from rich.table import Table

from riskhub.audit import service as audit
from riskhub.cli.common import console, errors, ready_engine
from riskhub.cli.ingest import EXIT_SOME_REJECTED, SHOWN_PROBLEMS
from riskhub.registries import service

app = typer.Typer(help="Authorised Economic Operators (AEO) registry.", no_args_is_help=True)


@app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Load AEO authorisations from CSV (party,trader,kind,valid_from,valid_to).

    Good rows are stored even when others are rejected; each rejected row is
    listed with its line and reason. Loading the file again changes nothing;
    a changed validity updates the authorisation. Exit code 0: all stored;
    3: some rows were rejected.
    """
    engine = ready_engine()
    result = service.import_aeo(engine=engine, path=file)
    audit.append(
        engine=engine, party=None, actor="cli", action="aeo.import", object=str(file),
        source="cli", outcome=f"inserted {result.inserted}, updated {result.updated}, "
        f"rejected rows {result.rejected_rows}",
    )  # fmt: skip
    if as_json:
        typer.echo(orjson.dumps(result.model_dump(mode="json")).decode())
    else:
        table = Table(title=f"{file} (AEO authorisations)", show_header=False)
        table.add_row("authorisations added", f"{result.inserted:,}")
        table.add_row("authorisations updated", f"{result.updated:,}")
        table.add_row("authorisations unchanged", f"{result.unchanged:,}")
        table.add_row("rows rejected", f"{result.rejected_rows:,}")
        if result.duplicate_rows:
            table.add_row("repeated rows counted once", f"{result.duplicate_rows:,}")
        console.print(table)
        if result.ignored_columns:
            console.print(f"Columns ignored: {', '.join(result.ignored_columns)}")
        for problem in result.problems[:SHOWN_PROBLEMS]:
            errors.print(f"  [yellow]rejected[/] {escape(str(problem))}", highlight=False)
        hidden = len(result.problems) - SHOWN_PROBLEMS
        if hidden > 0:
            errors.print(f"  ... and {hidden:,} more problems.")
    if result.rejected_rows:
        raise typer.Exit(EXIT_SOME_REJECTED)
