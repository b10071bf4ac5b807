"""``riskhub assess``: the S3/S4 assessments from the command line (fill, submit, export)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import orjson
import typer
from rich.table import Table
from sqlalchemy.orm import Session

from riskhub.assessments import report, service
from riskhub.audit import service as audit
from riskhub.cli.common import console, errors, ready_engine
from riskhub.db.tenancy import acting_for
from riskhub.profiles.criteria.source import SourceError, load
from riskhub.reference.parties import CEFTA_PARTIES

app = typer.Typer(help="Assessments: risk management gap (S3), staffing and training (S4).",
                  no_args_is_help=True)  # fmt: skip


@app.command("list")
def list_() -> None:
    """The questionnaires, and which Parties submitted them for which half-year."""
    engine = ready_engine()
    table = Table("code", "version", "activity", "title", "questions", "submitted")
    with Session(engine) as session:
        for form in service.questionnaires():
            done = service.results(session=session, parties=sorted(CEFTA_PARTIES), code=form.code)
            submitted = ", ".join(f"{r['party']} {r['period']}" for r in done) or "–"
            table.add_row(form.code, str(form.version), form.activity, form.title,
                          str(len(form.questions())), submitted)  # fmt: skip
    console.print(table)


@app.command()
def answer(
    code: str = typer.Argument(..., help="The questionnaire, e.g. RM-GAP."),
    path: Path = typer.Argument(..., exists=True, dir_okay=False,
                                help="YAML with 'answers' (and 'comments') by question key."),
    party: str = typer.Option(..., help="The Party whose answers these are."),
    period: str = typer.Option(..., help="The half-year, e.g. 2026-H2."),
    submit: bool = typer.Option(False, help="Submit once saved (all questions answered)."),
) -> None:  # fmt: skip
    """Save a Party's answers from a file (and submit them); each problem names its line."""
    if party not in CEFTA_PARTIES:
        errors.print(f"[red]{party!r} is not a CEFTA Party[/]")
        raise typer.Exit(2)
    try:
        source = load(path.read_text(encoding="utf-8"))
    except SourceError as error:
        errors.print(f"[red]{path}:{error}[/]")
        raise typer.Exit(1) from None
    data = source.data if isinstance(source.data, dict) else {}
    answers, comments = data.get("answers"), data.get("comments", {})
    if not isinstance(answers, dict) or not isinstance(comments, dict):
        errors.print(f"[red]{path}: a mapping 'answers' (and 'comments') by question key[/]")
        raise typer.Exit(1)
    actor = "cli"
    engine = ready_engine().execution_options(sqlite_immediate=True)
    # Saved first, on its own: answers that cannot be submitted yet are not lost.
    steps = [
        (
            "saved",
            service.save,
            {"answers": answers, "comments": {k: str(v) for k, v in comments.items()}},
        )
    ]
    if submit:
        steps.append(("submitted", service.submit, {}))  # type: ignore[arg-type]
    status, scores = "draft", None
    for done, step, extra in steps:
        try:
            with acting_for(party), Session(engine) as session, session.begin():
                row = step(session=session, party=party, code=code, period=period, actor=actor,
                           **extra)  # fmt: skip
                status, scores = row.status, row.scores
        except service.AssessmentError as error:
            for problem in error.problems:
                key = problem.split(":", 1)[0]
                where = source.loc(("answers", key)) if key in answers else None
                errors.print(f"[red]{path}:{where.line if where else ''} {problem}[/]")
            if done == "submitted":
                errors.print("The answers are saved as a draft; they are not submitted.")
            raise typer.Exit(1) from None
        audit.append(engine=engine, party=party, actor=actor, action=f"assessments.{done}",
                     object=f"{code} {period}", outcome=status, source="cli")  # fmt: skip
    said = f"{party} {code} {period}: {status}"
    if scores:
        scored = orjson.loads(scores)
        said += f", {scored['overall']}% overall ({scored['level']})"
    console.print(said)


@app.command()
def export(
    code: str = typer.Argument(..., help="The questionnaire, e.g. RM-GAP."),
    out: Path = typer.Option(..., help="report.html or report.pdf (gap report), "
                                       "results.json or results.csv (scores)."),
    period: str | None = typer.Option(None, help="The half-year of the gap report, e.g. 2026-H2."),
    party: list[str] = typer.Option([], help="Only these Parties (default: every CEFTA Party)."),
) -> None:  # fmt: skip
    """Write the gap report (HTML/PDF, weakest dimensions first) or the scores (JSON/CSV)."""
    unknown = [p for p in party if p not in CEFTA_PARTIES]
    if unknown:
        errors.print(f"[red]{unknown[0]!r} is not a CEFTA Party[/]")
        raise typer.Exit(2)
    parties = party or sorted(CEFTA_PARTIES)
    suffix = out.suffix.lower()
    try:
        with Session(ready_engine()) as session:
            if suffix in (".html", ".pdf"):
                if period is None:
                    raise service.AssessmentError(422, ["a gap report needs --period"])
                data = service.gap_report(session=session, parties=parties, code=code,
                                          period=period)  # fmt: skip
                report.write(data, out)
                console.print(f"Gap report of {len(data['parties'])} Parties written to {out}.")
                return
            if suffix not in (".json", ".csv"):
                raise service.AssessmentError(422, [f"write .html, .pdf, .json or .csv, not {out}"])
            service.questionnaire(code=code)
            rows = service.results(session=session, parties=parties, code=code)
    except service.AssessmentError as error:
        errors.print(f"[red]{'; '.join(error.problems)}[/]")
        raise typer.Exit(1) from None
    rows = [r for r in rows if period is None or r["period"] == period]
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".json":
        out.write_bytes(orjson.dumps(rows, option=orjson.OPT_INDENT_2))
    else:
        out.write_text(_csv(rows), encoding="utf-8")
    console.print(f"{len(rows)} submitted assessments written to {out}.")


def _csv(rows: list[dict[str, Any]]) -> str:
    dimensions = sorted({k for r in rows for k in r["dimensions"]})
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["party", "period", "version", "overall", "level", *dimensions])
    for r in rows:
        scores = r["dimensions"]
        writer.writerow([r["party"], r["period"], r["version"], r["overall"], r["level"],
                         *(scores.get(d, "") for d in dimensions)])  # fmt: skip
    return buffer.getvalue()
