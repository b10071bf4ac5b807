"""``riskhub inspect``: record inspection results, load release times, save checklists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
import yaml
from pydantic import ValidationError
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from riskhub.cli.common import console, errors, ready_engine
from riskhub.db.tenancy import acting_for
from riskhub.declarations.models import Declaration
from riskhub.inspections import checklists, service, times
from riskhub.inspections.schemas import ChecklistIn, InspectionIn
from riskhub.profiles.document import AGENCIES
from riskhub.reference.parties import PARTY_CODES

app = typer.Typer(help="Inspection results, release times and checklists.", no_args_is_help=True)


def _party(party: str) -> str:
    if party not in PARTY_CODES:
        errors.print(f"[red]unknown Party {party!r}[/]")
        raise typer.Exit(2)
    return party


def _records(path: Path) -> list[tuple[int, Any]]:
    """(line, object) from a JSON array or JSON lines file."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        try:
            return [(0, r) for r in json.loads(text)]
        except json.JSONDecodeError as error:
            raise _refuse(f"{path}: line {error.lineno}: not JSON: {error.msg}") from error
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                out.append((number, json.loads(line)))
            except json.JSONDecodeError as error:
                out.append((number, error))
    return out


def _refuse(message: str) -> typer.Exit:
    errors.print(f"[red]{message}[/]")
    return typer.Exit(2)


@app.command("record")
def record(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSON or JSON lines."),
    party: str = typer.Option(..., help="The Party whose declarations were inspected."),
    agency: str = typer.Option("customs", help="The agency that inspected."),
) -> None:
    """Record inspection results; each names its declaration by 'declaration' (reference).

    Bad records are listed with their line and reason; the good ones are recorded.
    A result already recorded under the same reference is recognised, not doubled.
    """
    party = _party(party)
    if agency not in AGENCIES:
        raise _refuse(f"agency is one of {', '.join(AGENCIES)}")
    rejected: list[tuple[str, str, str]] = []
    parsed: list[tuple[str, str, InspectionIn]] = []
    for index, (line, raw) in enumerate(_records(path), start=1):
        where = f"line {line}" if line else f"record {index}"
        if isinstance(raw, Exception) or not isinstance(raw, dict):
            rejected.append((where, "", "not a JSON object"))
            continue
        reference = raw.pop("declaration", None)
        if not isinstance(reference, str):
            rejected.append((where, "declaration", "name the declaration's reference"))
            continue
        try:
            parsed.append((where, reference, InspectionIn.model_validate(raw)))
        except ValidationError as error:
            for e in error.errors():
                field = ".".join(str(p) for p in e["loc"])
                rejected.append((where, field, str(e["msg"]).removeprefix("Value error, ")))
    engine = ready_engine()
    counts = {"created": 0, "existing": 0}
    with acting_for(party), Session(engine) as session, session.begin():
        ids = dict(
            session.execute(
                select(Declaration.reference, Declaration.id).where(
                    Declaration.party == party,
                    Declaration.reference.in_([r for _, r, _ in parsed]),
                )
            ).all()
        )
        known = [(w, ids[r], body) for w, r, body in parsed if r in ids]
        rejected += [(w, "declaration", f"no declaration {r!r} of {party}")
                     for w, r, _ in parsed if r not in ids]  # fmt: skip
        done = service.record_many(
            session=session, party=party, records=[(i, b) for _, i, b in known],
            recorder=service.Recorder(None, agency, other_agency=agency != "customs"),
        )  # fmt: skip
        for (where, _, _), outcome in zip(known, done, strict=True):
            if outcome.status in counts:
                counts[outcome.status] += 1
            elif outcome.status == "not_found":
                rejected.append((where, "declaration", f"not sent to {agency} for control"))
            else:
                rejected += [(where, f, why) for f, why in outcome.problems]
    console.print(
        f"{counts['created']:,} inspections recorded, {counts['existing']:,} already there, "
        f"{len({w for w, _, _ in rejected}):,} records refused."
    )
    _show(rejected)
    if rejected:
        raise typer.Exit(1)


def _show(rejected: list[tuple[str, str, str]]) -> None:
    if not rejected:
        return
    table = Table("where", "field", "why", title="Refused")
    for row in rejected[:200]:
        table.add_row(*row)
    errors.print(table)
    if len(rejected) > 200:
        errors.print(f"... and {len(rejected) - 200:,} more")


@app.command("times")
def load_times(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV: reference + times."),
    party: str = typer.Option(..., help="The Party whose declarations these are."),
) -> None:
    """Load release-time stamps (WCO TRS); rows out of order or unknown are listed, not loaded."""
    party = _party(party)
    with acting_for(party), Session(ready_engine()) as session, session.begin():
        outcome = times.import_csv(session=session, party=party, path=path)
    console.print(f"{outcome.stored:,} declarations' release times stored.")
    _show([(f"line {line}", field, why) for line, field, why in outcome.rejected])
    if outcome.rejected:
        raise typer.Exit(1)


@app.command("checklist")
def save_checklist(
    code: str = typer.Argument(..., help="The checklist's code, e.g. PHYSICAL-BASIC."),
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="YAML or JSON."),
    party: str = typer.Option(..., help="The owning Party."),
) -> None:
    """Create or change a checklist (inspection protocol); every change is a new version."""
    party = _party(party)
    try:
        body = ChecklistIn.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (ValidationError, yaml.YAMLError) as error:
        raise _refuse(f"{path}: {error}") from error
    with acting_for(party), Session(ready_engine()) as session, session.begin():
        try:
            row, outcome = checklists.save_checklist(
                session=session, party=party, code=code, body=body, user_id=None
            )
        except checklists.ChecklistError as error:
            raise _refuse(str(error)) from error
        console.print(f"Checklist {party}/{row.code}: {outcome}, version {row.version}.")
