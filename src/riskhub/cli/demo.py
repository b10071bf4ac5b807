"""``riskhub demo``: generate ~90 days of CEFTA traffic, load it, and show what arrived."""

from __future__ import annotations

import time

import typer
from rich.table import Table

from riskhub.cli.common import console
from riskhub.cli.ingest import _progress
from riskhub.db import migrate
from riskhub.db.engine import get_admin_engine
from riskhub.declarations import service
from riskhub.reference.crossings import OFFICES
from riskhub.reference.parties import party_name
from riskhub.settings import get_settings
from riskhub.synth.generator import TrafficSpec, generate
from riskhub.synth.writer import write_traffic


def demo(
    days: int = typer.Option(90, min=1, help="Days of traffic to generate."),
    seed: int = typer.Option(1, help="Random seed."),
    trucks_per_day: int = typer.Option(400, min=1, help="Average truck crossings per day."),
) -> None:
    """Run the main job end to end on the configured database (embedded SQLite by default)."""
    settings = get_settings()
    began = time.perf_counter()
    console.rule("[bold]riskhub demo")
    migrate.upgrade()
    console.print(f"1. Database ready at revision {migrate.current()}.")

    path = settings.data_dir / "demo" / f"traffic-{days}d-seed{seed}.csv"
    frame = generate(TrafficSpec(days=days, seed=seed, trucks_per_day=trucks_per_day))
    write_traffic(frame, path)
    console.print(f"2. Generated {frame.height:,} goods items over {days} days into {path}.")

    engine = get_admin_engine()
    with _progress(path, quiet=False) as report:
        summary = service.ingest_path(
            engine=engine,
            path=path,
            chunk_declarations=settings.ingest_chunk_declarations,
            progress=report,
        )
    console.print(
        f"3. Loaded: {summary.stored:,} declarations stored, {summary.amended:,} amended, "
        f"{summary.unchanged:,} already there, {summary.rejected_rows:,} rows rejected."
    )

    table = Table("Party", "office", "declarations", "items", title="Declarations by office")
    for row in service.counts_by_office(engine=engine):
        office = OFFICES.get(row["office"])
        table.add_row(
            f"{row['party']} {party_name(row['party'])}",
            f"{row['office']} {office.name if office else ''}",
            f"{row['declarations']:,}",
            f"{row['items']:,}",
        )
    console.print(table)

    planted = Table("kind", "items", title="Planted non-compliance (ground truth)")
    for kind, n in service.known_outcomes_by_kind(engine=engine).items():
        planted.add_row(kind.replace("_", " "), f"{n:,}")
    console.print(planted)

    totals = service.stats(engine=engine)
    console.print(
        f"In the database: {totals['declarations']:,} declarations, {totals['items']:,} items, "
        f"{totals['amendments']:,} amendments, {totals['rejected_rows']:,} rejected rows. "
        f"Done in {time.perf_counter() - began:.1f} s."
    )
    console.print(
        "Next: [bold]riskhub serve[/] starts the API (OpenAPI at http://127.0.0.1:8000/docs); "
        'give callers tokens with RISKHUB_API_TOKENS=\'{"<token>": "RS"}\'.'
    )
