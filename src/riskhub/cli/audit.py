"""``riskhub audit``: check the tamper-evident audit log."""

from __future__ import annotations

import typer

from riskhub.audit import service
from riskhub.cli.common import console, errors, ready_engine

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@app.command()
def verify() -> None:
    """Check every chain and signed checkpoint; name the first bad record of each chain."""
    result = service.verify(engine=ready_engine())
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
    """Sign a checkpoint at the end of every chain now (also done every N records)."""
    signed = service.checkpoint_all(engine=ready_engine())
    console.print(f"Signed {signed} new checkpoints.")
