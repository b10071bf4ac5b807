"""``riskhub aeo``: the registry of Authorised Economic Operators."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import orjson
import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from riskhub.audit import service as audit
from riskhub.cli.common import console, errors, ready_engine
from riskhub.cli.ingest import EXIT_SOME_REJECTED, SHOWN_PROBLEMS
from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for
from riskhub.kpis import aeo as aeo_kpis
from riskhub.kpis import service as kpi_service
from riskhub.reference.parties import DECLARATION_OWNERS
from riskhub.registries import recognition, service

app = typer.Typer(help="Authorised Economic Operators (AEO) registry.", no_args_is_help=True)


@app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Load AEO authorisations from CSV (party,trader,kind,valid_from,valid_to).

    Good rows are stored even when others are rejected; each rejected row is
    listed with its line and reason. Loading the file again changes nothing;
    a changed validity updates the authorisation. Exit code 0: all stored;
    3: some rows were rejected.
    """
    engine = ready_engine()
    result = service.import_aeo(engine=engine, path=file)
    audit.append(
        engine=engine, party=None, actor="cli", action="aeo.import", object=str(file),
        source="cli", outcome=f"inserted {result.inserted}, updated {result.updated}, "
        f"rejected rows {result.rejected_rows}",
    )  # fmt: skip
    if as_json:
        typer.echo(orjson.dumps(result.model_dump(mode="json")).decode())
    else:
        table = Table(title=f"{file} (AEO authorisations)", show_header=False)
        table.add_row("authorisations added", f"{result.inserted:,}")
        table.add_row("authorisations updated", f"{result.updated:,}")
        table.add_row("authorisations unchanged", f"{result.unchanged:,}")
        table.add_row("rows rejected", f"{result.rejected_rows:,}")
        if result.duplicate_rows:
            table.add_row("repeated rows counted once", f"{result.duplicate_rows:,}")
        console.print(table)
        if result.ignored_columns:
            console.print(f"Columns ignored: {', '.join(result.ignored_columns)}")
        for problem in result.problems[:SHOWN_PROBLEMS]:
            errors.print(f"  [yellow]rejected[/] {escape(str(problem))}", highlight=False)
        hidden = len(result.problems) - SHOWN_PROBLEMS
        if hidden > 0:
            errors.print(f"  ... and {hidden:,} more problems.")
    if result.rejected_rows:
        raise typer.Exit(EXIT_SOME_REJECTED)


DAY = ["%Y-%m-%d"]


@app.command("recognise")
def recognise(
    party: str = typer.Argument(..., help="The recognising Party, e.g. RS."),
    partner: str = typer.Argument(..., help="The Party whose AEOs count, or EU."),
    reference: str = typer.Option(..., help="The agreement's reference."),
    valid_from: datetime = typer.Option(..., "--from", formats=DAY, help="First day."),
    valid_to: datetime | None = typer.Option(None, "--to", formats=DAY, help="Last day."),
) -> None:
    """Record a mutual recognition agreement: PARTY treats PARTNER's AEOs as its own."""
    party = party.upper()
    engine = ready_engine()
    with acting_for(party), Session(engine) as session, session.begin():
        try:
            row = recognition.add_recognition(
                session=session, party=party, partner=partner, reference=reference,
                valid_from=valid_from.date(), valid_to=valid_to.date() if valid_to else None,
                actor="cli", now=utcnow(),
            )  # fmt: skip
        except recognition.RecognitionError as error:
            errors.print(f"[red]{escape(str(error))}[/]")
            raise typer.Exit(2) from error
        partner = row.partner
    audit.append(engine=engine, party=party, actor="cli", action="aeo.recognise",
                 object=reference, source="cli", outcome=partner)  # fmt: skip
    console.print(f"{party} recognises the AEOs of {recognition.partner_name(partner)} "
                  f"({escape(reference)}) from {valid_from.date()}.")  # fmt: skip


@app.command("end-recognition")
def end_recognition(
    party: str = typer.Argument(..., help="The recognising Party."),
    reference: str = typer.Argument(..., help="The agreement's reference."),
    last_day: datetime = typer.Option(..., "--last-day", formats=DAY, help="Its last day."),
) -> None:
    """End one of PARTY's recognition agreements."""
    party = party.upper()
    engine = ready_engine()
    with acting_for(party), Session(engine) as session, session.begin():
        found = [r for r in recognition.list_recognitions(session=session, party=party)
                 if r.reference == reference]  # fmt: skip
        if not found:
            errors.print(f"[red]{party} has no agreement {escape(reference)}[/]")
            raise typer.Exit(2)
        try:
            recognition.end_recognition(
                session=session,
                party=party,
                recognition_id=found[0].id,
                last_day=last_day.date(),
                actor="cli",
                now=utcnow(),
            )
        except recognition.RecognitionError as error:
            errors.print(f"[red]{escape(str(error))}[/]")
            raise typer.Exit(2) from error
    audit.append(engine=engine, party=party, actor="cli", action="aeo.end_recognition",
                 object=reference, source="cli", outcome=str(last_day.date()))  # fmt: skip
    console.print(f"Agreement {escape(reference)} of {party} ends on {last_day.date()}.")


@app.command("recognitions")
def recognitions(
    party: list[str] = typer.Option([], help="Only these Parties (default: all)."),
) -> None:
    """The mutual recognition agreements of each Party."""
    table = Table("party", "recognises", "reference", "from", "to", title="AEO recognition")
    engine = ready_engine()
    for code in sorted(p.upper() for p in party) or sorted(DECLARATION_OWNERS):
        with acting_for(code), Session(engine) as session:
            for r in recognition.list_recognitions(session=session, party=code):
                table.add_row(code, recognition.partner_name(r.partner), r.reference,
                              str(r.valid_from), str(r.valid_to or "open"))  # fmt: skip
    console.print(table)


@app.command("list")
def list_(
    party: str = typer.Argument(..., help="The Party whose AEOs to list."),
    on: datetime | None = typer.Option(None, formats=DAY, help="Day (default: today)."),
) -> None:
    """The traders counting as AEOs for PARTY on a day: its own and those it recognises."""
    party, day = party.upper(), (on.date() if on else date.today())
    with acting_for(party), Session(ready_engine()) as session:
        held = service.aeo_register(connection_or_session=session, party=party).on(day)
    table = Table("trader", "authorised by", "under agreement", title=f"AEOs of {party} on {day}")
    for trader, h in sorted(held.items()):
        table.add_row(trader, h.granted_by, h.agreement or "-")
    console.print(table)
    own = sum(1 for h in held.values() if h.agreement is None)
    console.print(f"{len(held):,} AEOs with priority passage: {own:,} own, "
                  f"{len(held) - own:,} recognised.")  # fmt: skip


@app.command("kpis")
def kpis_(
    since: datetime | None = typer.Option(None, formats=DAY, help="First day."),
    until: datetime | None = typer.Option(None, formats=DAY, help="Last day (inclusive)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """AEOs with priority passage today (L7 target 300), and release times AEO vs non-AEO."""
    try:
        first, last = kpi_service.period(
            since.date() if since else None, until.date() if until else None, days=3650
        )
    except ValueError as error:
        errors.print(f"[red]{error}[/]")
        raise typer.Exit(2) from error
    found = aeo_kpis.aeo_kpis(engine=ready_engine(), parties=sorted(DECLARATION_OWNERS),
                              since=first, until=last, on=date.today())  # fmt: skip
    if as_json:
        typer.echo(orjson.dumps(found).decode())
        return
    for line in aeo_kpis.lines(found):
        console.print(line)
