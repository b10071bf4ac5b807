"""``riskhub synth``: generate synthetic CEFTA traffic, and the AEO holders among its traders."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path

import typer

from riskhub.cli.common import console
from riskhub.synth.generator import DEFAULT_START, TrafficSpec, generate, generate_aeo
from riskhub.synth.writer import write_aeo, write_traffic

AEO_FILE = "aeo.csv"  # written next to the traffic file


def synth(
    out: Path = typer.Option(..., help="Output file: .csv, .parquet or .jsonl (nested)."),
    days: int = typer.Option(90, min=1, help="Days of traffic."),
    seed: int = typer.Option(1, help="Random seed; the same seed gives the same traffic."),
    start: datetime = typer.Option(
        datetime.combine(DEFAULT_START, datetime.min.time()),
        formats=["%Y-%m-%d"],
        help="First day.",
    ),
    trucks_per_day: int = typer.Option(400, min=1, help="Average truck crossings per day."),
) -> None:
    """Generate paired export/import declarations over real CEFTA crossings, with planted fraud.

    The traders' AEO authorisations go to aeo.csv in the same folder.
    """
    if out.name.lower() == AEO_FILE:
        raise typer.BadParameter(f"'{AEO_FILE}' is where the AEO holders go", param_hint="--out")
    began = time.perf_counter()
    spec = TrafficSpec(
        days=days,
        seed=seed,
        start=date.fromordinal(start.toordinal()),
        trucks_per_day=trucks_per_day,
    )
    frame = generate(spec)
    try:
        write_traffic(frame, out)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--out") from exc
    aeo = generate_aeo(spec)
    aeo_path = out.parent / AEO_FILE
    write_aeo(aeo, aeo_path)
    declarations = frame.select("party", "reference").n_unique()
    console.print(
        f"Wrote {declarations:,} declarations ({frame.height:,} items) to {out} "
        f"and {aeo.height:,} AEO authorisations to {aeo_path} "
        f"in {time.perf_counter() - began:.1f} s."
    )
