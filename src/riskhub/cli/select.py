"""``riskhub select``: give every undecided declaration its channel."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path

import typer
from rich.progress import Progress, TaskID
from rich.table import Table

from riskhub.batch.engines import BatchEngine, BatchError, LocalEngine, SparkEngine
from riskhub.cli.common import (
    console,
    errors,
    ready_engine,
    refuse_unknown_parties,
    sigterm_exits,
)
from riskhub.reference.parties import DECLARATION_OWNERS
from riskhub.selectivity import service
from riskhub.settings import get_settings


class EngineName(StrEnum):
    HUB = "hub"  # the hub's own batch: reads the store month by month, no Parquet
    LOCAL = "local"  # through Parquet, in this process (what Spark runs, without Spark)
    SPARK = "spark"


ENGINE = typer.Option(
    EngineName.HUB,
    "--engine",
    help="hub: in this process; spark: on Spark; local: Spark's path here.",
)
MASTER = typer.Option("local[2]", help="Spark master: local[N], spark://host:7077, yarn, k8s://...")
PARTITIONS = typer.Option(
    None, min=1, help="Shuffle into this many Spark partitions (default: read files whole)."
)
WORK_DIR = typer.Option(
    None, help="Where the Parquet goes (shared storage on a cluster); default DATA_DIR/batch."
)


def batch_engine(name: EngineName, master: str, partitions: int | None) -> BatchEngine | None:
    """The engine behind ``--engine``: None for the hub's own."""
    if name is EngineName.SPARK:
        return SparkEngine(master, partitions=partitions)
    return LocalEngine() if name is EngineName.LOCAL else None


def work_dir(path: Path | None) -> Path:
    return path or get_settings().data_dir / "batch"


def select_(
    party: list[str] = typer.Option(None, help="Parties to decide for (default: all)."),
    since: datetime | None = typer.Option(None, help="Only declarations lodged from this day."),
    engine: EngineName = ENGINE,
    master: str = MASTER,
    partitions: int | None = PARTITIONS,
    work: Path | None = WORK_DIR,
) -> None:
    """Decide channels for declarations without a decision, batch by month; safe to rerun."""
    refuse_unknown_parties(party or ())
    store = ready_engine()
    runner = batch_engine(engine, master, partitions)
    table = Table("office", "green", "blue", "yellow", "red", "red %", title="Channels decided")
    total = 0
    stages: dict[str, float] = {}
    left = 0
    try:
        with sigterm_exits(), Progress(console=console, transient=True) as progress:
            for code in sorted(party or DECLARATION_OWNERS):
                task = progress.add_task(f"{code}", total=None)

                def report(done: int, of: int, task: TaskID = task) -> None:
                    progress.update(task, completed=done, total=of)

                def staged(
                    stage: str, done: int, of: int, task: TaskID = task, name: str = code
                ) -> None:
                    progress.update(task, description=f"{name} {stage}", completed=done, total=of)

                if runner is None:
                    summary = service.decide_pending(
                        engine_=store, party=code, since=since, progress=report
                    )
                else:
                    from riskhub.batch.service import select_on

                    summary = select_on(
                        engine_=store, batch=runner, party=code, work_dir=work_dir(work),
                        since=since, progress=staged,
                    )  # fmt: skip
                total += summary.decided
                left += summary.left_pending
                for stage, seconds in summary.seconds.items():
                    stages[stage] = stages.get(stage, 0.0) + seconds
                for office, counts in sorted(summary.by_office.items()):
                    n = sum(counts.values())
                    cells = [f"{counts.get(c, 0):,}" for c in ("green", "blue", "yellow", "red")]
                    table.add_row(office, *cells, f"{counts.get('red', 0) / n:.1%}")
    except (BatchError, OSError) as error:
        # Spark missing or failing, or the work folder unusable: the months stored stay stored,
        # the month in progress is not stored at all; run again to go on.
        errors.print(f"[red]{error}[/]")
        raise typer.Exit(1) from error
    finally:
        if runner is not None:
            runner.close()
    console.print(table)
    timing = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in stages.items())
    console.print(f"{total:,} declarations decided." + (f" ({timing})" if timing else ""))
    if left:
        console.print(f"{left:,} amended meanwhile to a day of another month: run again for them.")
