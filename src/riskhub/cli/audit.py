"""``riskhub audit``: check the tamper-evident audit log."""

from __future__ import annotations

from pathlib import Path

import orjson
import typer

from riskhub.audit import service
from riskhub.cli.common import console, errors, ready_engine

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@app.command()
def verify(
    anchors: Path | None = typer.Option(
        None, help="Checkpoints kept outside the database (the output of `audit checkpoint`)."
    ),
) -> None:
    """Check every chain and signed checkpoint; name the first bad record of each chain."""
    kept = []
    if anchors is not None:
        for line in anchors.read_text().splitlines():
            if line.strip():
                row = orjson.loads(line)
                kept.append(service.Anchor(row["party"], int(row["seq"]), row["hash"]))
    result = service.verify(engine=ready_engine(), anchors=kept)
    if result.ok:
        console.print(
            f"Audit log intact: {result.records:,} records in {result.chains} chains, "
            f"{result.checkpoints} signed checkpoints verified."
        )
        return
    for problem in result.problems:
        errors.print(f"[red]TAMPERED[/] {problem}")
    raise typer.Exit(1)


@app.command()
def checkpoint() -> None:
    """Sign a checkpoint at the end of every chain now, and print each chain's newest.

    Keep the printed lines outside the database (append them to a write-once log):
    `riskhub audit verify --anchors FILE` then also catches a chain cut back or
    deleted whole, which nothing inside the database can show.
    """
    engine = ready_engine()
    signed = service.checkpoint_all(engine=engine)
    errors.print(f"Signed {signed} new checkpoints.")
    for anchor in service.latest_checkpoints(engine=engine):
        typer.echo(orjson.dumps({"party": anchor.party, "seq": anchor.seq, "hash": anchor.hash}))
