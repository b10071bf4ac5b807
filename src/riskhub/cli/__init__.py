"""The ``riskhub`` command: one module per command group, assembled here."""

from __future__ import annotations

import logging

import typer

from riskhub import logs
from riskhub.cli import (
    actionplan,
    aeo,
    assess,
    audit,
    db,
    demo,
    exchange,
    export,
    governance,
    ingest,
    inspect,
    jobs,
    kpi,
    lists,
    lpco,
    match,
    model,
    offices,
    profiles,
    report,
    retention,
    risks,
    select,
    serve,
    stats,
    synth,
    training,
    users,
)

app = typer.Typer(
    name="riskhub",
    help="Customs Risk Information Hub: load declarations, generate traffic, serve the API.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(audit.app, name="audit")
app.add_typer(aeo.app, name="aeo")
app.add_typer(actionplan.app, name="actionplan")
app.add_typer(assess.app, name="assess")
app.add_typer(training.app, name="training")
app.add_typer(profiles.app, name="profiles")
app.add_typer(lists.app, name="lists")
app.add_typer(offices.app, name="offices")
app.add_typer(inspect.app, name="inspect")
app.add_typer(report.app, name="report")
app.add_typer(model.app, name="model")
app.add_typer(exchange.app, name="exchange")
app.add_typer(match.app, name="match")
app.add_typer(governance.app, name="governance")
app.add_typer(risks.app, name="risks")
app.add_typer(lpco.app, name="lpco")
app.add_typer(export.app, name="export")
app.add_typer(jobs.app, name="jobs")
app.command("kpi")(kpi.kpi)
app.command("retention")(retention.retention)
app.command("ingest")(ingest.ingest)
app.command("select")(select.select_)
app.command("synth")(synth.synth)
app.command("demo")(demo.demo)
app.command("stats")(stats.stats)
app.command("serve")(serve.serve)
app.command("worker")(jobs.worker)


def main() -> None:
    # The terminal output says what happened; logs carry only warnings and errors here.
    logs.configure(level=logging.WARNING)
    app()
