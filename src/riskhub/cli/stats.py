"""``riskhub stats``: counts a script can check a load against."""

from __future__ import annotations

import orjson
import typer
from rich.table import Table

from riskhub.cli.common import console, ready_engine
from riskhub.declarations import service


def stats(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    party: str | None = typer.Option(None, help="Only this Party's data."),
) -> None:
    """Count declarations, items, amendments, known outcomes and rejected rows."""
    counts = service.stats(engine=ready_engine(), party=party.upper() if party else None)
    if as_json:
        typer.echo(orjson.dumps(counts).decode())
        return
    table = Table("what", "count", title="riskhub")
    for name, value in counts.items():
        table.add_row(name.replace("_", " "), f"{value:,}")
    console.print(table)
