"""``riskhub lpco``: the LPCO registry (licences, permits, certificates) of each Party."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import orjson
import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from riskhub.audit import service as audit
from riskhub.cli.common import console, errors, ready_engine
from riskhub.cli.ingest import EXIT_SOME_REJECTED, SHOWN_PROBLEMS
from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for
from riskhub.registries.lpco import service
from riskhub.registries.lpco.imports import import_lpcos
from riskhub.registries.lpco.schemas import LpcoIn, LpcoOut

app = typer.Typer(help="The LPCO registry: licences, permits, certificates.", no_args_is_help=True)
PARTY = typer.Option(..., "--party", help="The issuing Party, e.g. RS.")
DAY = ["%Y-%m-%d"]


def _refuse(message: str) -> typer.Exit:
    errors.print(f"[red]{escape(message)}[/]")
    return typer.Exit(2)


@app.command("add")
def add(
    party: str = PARTY,
    number: str = typer.Option(..., help="The number declarants cite in lpco_refs."),
    kind: str = typer.Option("licence", help="licence, permit, certificate or other."),
    agency: str = typer.Option(..., help="Issuing agency, e.g. phytosanitary."),
    holder: str = typer.Option(..., help="Trader id as declared (importer or exporter)."),
    hs: list[str] = typer.Option([], "--hs", help="HS prefix covered (repeat); none: any."),
    allowance: float | None = typer.Option(None, help="Quantity or value allowed."),
    unit: str | None = typer.Option(None, help="kg, eur or units (with --allowance)."),
    valid_from: datetime = typer.Option(..., "--from", formats=DAY, help="First valid day."),
    valid_to: datetime = typer.Option(..., "--to", formats=DAY, help="Last valid day."),
) -> None:
    """Record an LPCO an agency of PARTY issued."""
    try:
        body = LpcoIn.model_validate({
            "number": number, "kind": kind, "agency": agency, "holder": holder, "hs_scope": hs,
            "allowance": allowance, "unit": unit, "valid_from": valid_from.date(),
            "valid_to": valid_to.date(),
        })  # fmt: skip
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise _refuse(f"{where}: {first['msg']}" if where else first["msg"]) from error
    party = party.upper()
    engine = ready_engine()
    with acting_for(party), Session(engine) as session, session.begin():
        try:
            row = service.issue_lpco(session=session, party=party, body=body,
                                     issuer=service.Issuer(actor="cli"), now=utcnow())  # fmt: skip
        except service.LpcoError as error:
            raise _refuse(str(error)) from error
        out = service.describe(row)
    audit.append(engine=engine, party=party, actor="cli", action="lpco.add",
                 object=out.number, source="cli", outcome="issued")  # fmt: skip
    console.print(f"LPCO {escape(out.number)} of {party} recorded (id {out.id}).")


@app.command("list")
def list_(
    party: str = PARTY,
    status: str | None = typer.Option(None, help="active, suspended or revoked."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The LPCOs of PARTY, newest first."""
    party = party.upper()
    with acting_for(party), Session(ready_engine()) as session:
        rows = [service.describe(r) for r in service.list_lpcos(
            session=session, party=party, status=status, limit=1000)]  # fmt: skip
    if as_json:
        typer.echo(orjson.dumps([r.model_dump(mode="json") for r in rows]).decode())
        return
    table = Table("number", "kind", "agency", "holder", "HS", "used / allowance", "valid",
                  "status", title=f"LPCOs of {party}")  # fmt: skip
    for r in rows:
        table.add_row(r.number, r.kind, r.agency, r.holder, ",".join(r.hs_scope) or "any",
                      _allowance(r), f"{r.valid_from} to {r.valid_to}", r.status)  # fmt: skip
    console.print(table)


def _allowance(r: LpcoOut) -> str:
    return "no limit" if r.allowance is None else f"{r.used:,.6g} / {r.allowance:,.6g} {r.unit}"


@app.command("show")
def show(number: str, party: str = PARTY) -> None:
    """One LPCO: its terms, what is left, its history and its drawdowns."""
    party = party.upper()
    with acting_for(party), Session(ready_engine()) as session:
        row = service.find_lpco(session=session, party=party, number=number)
        if row is None:
            raise _refuse(f"no LPCO {number} in {party}'s registry")
        out = service.describe(row, service.history(session=session, lpco=row))
        draws = service.drawdowns(session=session, lpco=row)
    console.print(f"LPCO {escape(out.number)} ({out.kind}, {out.agency}) held by "
                  f"{escape(out.holder)}: {out.status}; HS {','.join(out.hs_scope) or 'any'}; "
                  f"valid {out.valid_from} to {out.valid_to}; {_allowance(out)}")  # fmt: skip
    for e in out.history:
        console.print(f"  {e.at:%Y-%m-%d %H:%M} {e.action:<9} -> {e.status:<9} by "
                      f"{escape(e.actor)}: {escape(e.reason)}")  # fmt: skip
    for d in draws:
        console.print(f"  drawn {d.amount:,.6g} {out.unit} by {escape(d.reference)} item "
                      f"{d.item_no} (version {d.declaration_version})")  # fmt: skip


def _change(action: str, number: str, party: str, reason: str) -> None:
    party = party.upper()
    engine = ready_engine()
    with acting_for(party), Session(engine) as session, session.begin():
        row = service.find_lpco(session=session, party=party, number=number)
        if row is None:
            raise _refuse(f"no LPCO {number} in {party}'s registry")
        try:
            service.change_status(session=session, party=party, lpco_id=row.id, action=action,
                                  reason=reason, issuer=service.Issuer(actor="cli"),
                                  now=utcnow())  # fmt: skip
        except service.LpcoError as error:
            raise _refuse(str(error)) from error
        status = row.status
    audit.append(engine=engine, party=party, actor="cli", action=f"lpco.{action}",
                 object=number, source="cli", outcome=status)  # fmt: skip
    console.print(f"LPCO {escape(number)} of {party} is now {status}.")


REASON = typer.Option(..., "--reason", help="Why (kept in the LPCO's history).")


@app.command("suspend")
def suspend(number: str, party: str = PARTY, reason: str = REASON) -> None:
    """Suspend an active LPCO: declarations citing it fail the check until reinstated."""
    _change("suspend", number, party, reason)


@app.command("reinstate")
def reinstate(number: str, party: str = PARTY, reason: str = REASON) -> None:
    """Lift an LPCO's suspension."""
    _change("reinstate", number, party, reason)


@app.command("revoke")
def revoke(number: str, party: str = PARTY, reason: str = REASON) -> None:
    """Revoke an LPCO for good."""
    _change("revoke", number, party, reason)


@app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Load LPCOs from CSV (party,number,kind,agency,holder,hs_scope,allowance,unit,
    valid_from,valid_to). Good rows land; each rejected row is listed with its line
    and reason. Exit code 0: all stored or unchanged; 3: some rows were rejected.
    """
    engine = ready_engine()
    result = import_lpcos(engine=engine, path=file)
    audit.append(
        engine=engine, party=None, actor="cli", action="lpco.import", object=str(file),
        source="cli", outcome=f"inserted {result.inserted}, rejected rows {result.rejected_rows}",
    )  # fmt: skip
    if as_json:
        typer.echo(orjson.dumps(result.model_dump(mode="json")).decode())
    else:
        console.print(f"{file}: {result.inserted:,} LPCOs added, {result.unchanged:,} unchanged, "
                      f"{result.rejected_rows:,} rows rejected.")  # fmt: skip
        for problem in result.problems[:SHOWN_PROBLEMS]:
            errors.print(f"  [yellow]rejected[/] {escape(str(problem))}", highlight=False)
        hidden = len(result.problems) - SHOWN_PROBLEMS
        if hidden > 0:
            errors.print(f"  ... and {hidden:,} more problems.")
    if result.rejected_rows:
        raise typer.Exit(EXIT_SOME_REJECTED)
