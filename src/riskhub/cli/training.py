"""``riskhub training``: sandbox exercises from the command line, and training records."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from riskhub.audit import service as audit
from riskhub.cli.common import console, errors, ready_engine
from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for
from riskhub.profiles.service import ProfileError
from riskhub.reference.parties import CEFTA_PARTIES
from riskhub.training import sandbox, scoring, service
from riskhub.training.exercises import shipped

app = typer.Typer(help="Training: sandbox exercises (S12, M6) and training records.",
                  no_args_is_help=True)  # fmt: skip
exercise_app = typer.Typer(help="Exercises on synthetic traffic, scored against planted truth.",
                           no_args_is_help=True)  # fmt: skip
app.add_typer(exercise_app, name="exercise")


@exercise_app.command("list")
def list_exercises() -> None:
    """The exercises: targets, budget, pass mark, and whether their traffic is in the sandbox."""
    engine = ready_engine()
    table = Table("code", "title", "targets", "budget", "pass mark", "in the sandbox")
    for e in shipped().values():
        held = sandbox.declarations_of(engine=engine, exercise=e)
        table.add_row(e.code, e.title, ", ".join(e.targets), f"{e.budget:.0%}", f"{e.pass_mark:g}",
                      f"{held:,} declarations" if held else "not started")  # fmt: skip
    console.print(table)


def _known(code: str) -> None:
    try:
        service.known(code)
    except service.TrainingError as error:
        errors.print(f"[red]{error}[/]")
        raise typer.Exit(2) from None


@exercise_app.command("start")
def start(code: str = typer.Argument(..., help="The exercise, e.g. MASS.")) -> None:
    """Put the exercise's synthetic traffic in the sandbox (once; a second start adds nothing)."""
    _known(code)
    held = service.start(engine=ready_engine(), code=code)
    console.print(f"{code}: {held:,} declarations in the sandbox (ZZ).")


@exercise_app.command("submit")
def submit(
    code: str = typer.Argument(..., help="The exercise, e.g. MASS."),
    profiles: list[Path] = typer.Argument(..., exists=True, dir_okay=False,
                                          help="One or more profile YAML files."),
) -> None:  # fmt: skip
    """Score profiles on the exercise and print the score and the planted cases missed.

    From the command line nothing is recorded: attempts and records belong to a
    signed-in trainee (the API and the pages).
    """
    _known(code)
    texts = [p.read_text(encoding="utf-8") for p in profiles]
    try:
        got = scoring.attempt(engine=ready_engine(), exercise=service.known(code), texts=texts)
    except ProfileError as error:
        errors.print(f"[red]a profile cannot be read: {error}[/]")
        raise typer.Exit(1) from None
    except ValueError as error:
        errors.print(f"[red]{error}[/]")
        raise typer.Exit(1) from None
    verdict = "passed" if got.passed else "not passed"
    revenue = f"EUR {got.revenue_caught_eur:,.2f} of {got.revenue_planted_eur:,.2f}"
    console.print(f"{code}: score {got.score} ({verdict}); precision {got.found} of "
                  f"{got.controlled}, recall {got.caught} of {got.planted}, budget {got.budget}, "
                  f"revenue caught {revenue}, {got.control_hours} h at the border.")  # fmt: skip
    if got.missed:
        table = Table("declaration", "office", "non-compliance", "revenue", "why", title="Missed")
        for m in got.missed:
            table.add_row(m["reference"], m["office"], ", ".join(m["kinds"]),
                          f"{m['revenue_eur']:,.2f}", m["why"])  # fmt: skip
        console.print(table)


@app.command("record")
def record(
    person: str = typer.Argument(..., help="The official's name."),
    course: str = typer.Option(..., help="The course completed."),
    party: str = typer.Option(..., help="The official's Party."),
    on: str = typer.Option(..., help="Completed on (YYYY-MM-DD)."),
    agency: str = typer.Option("customs", help=f"One of {', '.join(service.AGENCIES)}."),
) -> None:
    """Record that an official completed a course (counted for M6)."""
    if party not in CEFTA_PARTIES:
        errors.print(f"[red]{party!r} is not a CEFTA Party[/]")
        raise typer.Exit(2)
    try:
        completed = date.fromisoformat(on)
    except ValueError:
        errors.print(f"[red]--on {on!r} is not a date (YYYY-MM-DD)[/]")
        raise typer.Exit(2) from None
    engine = ready_engine()
    try:
        with acting_for(party), Session(engine) as session, session.begin():
            service.record(session=session, party=party, person=person, agency=agency,
                           course=course, kind="course", completed_on=completed, score=None,
                           recorded_by="cli", now=utcnow())  # fmt: skip
    except service.TrainingError as error:
        errors.print(f"[red]{error}[/]")
        raise typer.Exit(1) from None
    audit.append(engine=engine, party=party, actor="cli", action="training.record",
                 object=f"course:{course[:60]}", outcome="recorded", source="cli")  # fmt: skip
    trained = service.officials_trained(engine=engine)
    console.print(f"Recorded. Officials trained: {sum(trained.values())} (M6 target 14+).")
