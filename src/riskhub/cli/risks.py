"""``riskhub risks``: the risk register and joint enforcement actions.

The CLI is the operators' tool: it acts for the Party given with ``--party``,
as that Party's analyst; ``--party XS`` keeps the CEFTA-wide register as the
RMWG does. Joint action decisions are the RMWG's.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.table import Column, Table
from sqlalchemy.orm import Session

from riskhub.access.roles import Role
from riskhub.cli.common import console, errors, ready_engine
from riskhub.db.tenancy import acting_for
from riskhub.governance.joint_actions import service as actions
from riskhub.governance.joint_actions.schemas import ActionIn, ReportIn
from riskhub.governance.risks import candidates, service
from riskhub.governance.risks import heatmap as heat
from riskhub.governance.risks.models import Risk
from riskhub.governance.risks.schemas import CandidateIn, RiskIn
from riskhub.reference.parties import SECRETARIAT_PARTY

app = typer.Typer(help="The risk register and joint enforcement actions.", no_args_is_help=True)
actions_app = typer.Typer(help="Joint enforcement actions.", no_args_is_help=True)
app.add_typer(actions_app, name="actions")
PARTY = typer.Option(..., "--party", help="The Party acting (XS: the CEFTA-wide register).")


def author(party: str) -> service.Author:
    """The operator, as their Party's analyst, or as the RMWG for the CEFTA-wide register."""
    role = Role.RMWG if party == SECRETARIAT_PARTY else Role.ANALYST
    return service.Author(None, party, role, "cli")


def _fail(message: str, code: int = 1) -> typer.Exit:
    errors.print(f"[red]{message}[/]", soft_wrap=True)
    return typer.Exit(code)


def _risk_table(rows: list[Risk]) -> Table:
    # The reference and the level are what a reader scans for: never cut them short.
    table = Table(
        "id",
        Column("reference", no_wrap=True, min_width=8),
        "category",
        "LxI",
        Column("level", no_wrap=True, min_width=8),
        "review",
        "status",
        "title",
    )
    for row in rows:
        s = service.summary_of(row)
        review = f"[red]{s['review_on']} overdue[/]" if s["overdue"] else str(s["review_on"])
        table.add_row(
            str(row.id),
            s["reference"],
            s["category"],
            f"{row.likelihood}x{row.impact}={s['rating']}",
            s["level"],
            review,
            row.status,
            row.title,
        )
    return table


@app.command("list")
def list_(
    party: str = PARTY,
    status: str | None = typer.Option(None, help="open or closed"),
    overdue: bool = typer.Option(False, "--overdue", help="Only risks whose review is overdue."),
) -> None:
    """The Party's register and the CEFTA-wide one, most severe first."""
    with acting_for(party), Session(ready_engine()) as session:
        rows = service.list_risks(
            session=session, party=party, status=status, overdue=True if overdue else None
        )
        console.print(_risk_table(rows))


@app.command()
def overdue(party: str = PARTY) -> None:
    """Open risks whose review date has passed."""
    list_(party=party, status=None, overdue=True)


@app.command()
def add(
    party: str = PARTY,
    title: str = typer.Option(...),
    category: str = typer.Option(..., help="e.g. undervaluation, drugs, health_crisis"),
    likelihood: int = typer.Option(..., min=1, max=5),
    impact: int = typer.Option(..., min=1, max=5),
    owner: str = typer.Option(..., help="Who answers for the risk: a name or a role."),
    treatment: str = typer.Option("treat", help="tolerate, treat, transfer or terminate"),
    review_in: int = typer.Option(90, help="Days until the next review."),
    description: str = typer.Option(""),
    profile: list[str] = typer.Option([], help="A linked profile code (XS/CODE: a common one)."),
    indicators: Path | None = typer.Option(None, help="A file of risk criteria (YAML/JSON)."),
) -> None:
    """Record a risk in the Party's register (XS: the CEFTA-wide one)."""
    try:
        data = RiskIn.model_validate(
            {
                "title": title,
                "category": category,
                "likelihood": likelihood,
                "impact": impact,
                "owner": owner,
                "treatment": treatment,
                "description": description,
                "profiles": profile,
                "review_on": date.today() + timedelta(days=review_in),
                "indicators": indicators.read_text(encoding="utf-8") if indicators else None,
            }
        )
    except ValidationError as error:
        raise _fail(str(error), 2) from None
    with acting_for(party), Session(ready_engine()) as session, session.begin():
        try:
            row = service.add_risk(session=session, author=author(party), data=data)
        except service.RegisterInvalid as error:
            for name, why in error.problems:
                errors.print(f"[red]{name}[/]: {why}", soft_wrap=True)
            raise typer.Exit(2) from None
        console.print(
            f"recorded {service.reference(row)} (id {row.id}), "
            f"rating {heat.rating(row.likelihood, row.impact)}"
        )


@app.command("heatmap")
def heatmap_(party: str = PARTY) -> None:
    """Open risks by likelihood x impact (XS: CEFTA-wide, and each Party as counts)."""
    role = Role.SECRETARIAT if party == SECRETARIAT_PARTY else Role.ANALYST
    with acting_for(party), Session(ready_engine()) as session:
        found = service.heatmap(session=session, party=party, role=role)
    for line in heat.lines(found):
        console.print(line, highlight=False)


@app.command()
def due(party: str = PARTY, days: int = typer.Option(candidates.REVIEW_DAYS, min=1)) -> None:
    """The Party's profiles and models due for review, with the reasons."""
    with acting_for(party), Session(ready_engine()) as session:
        found = candidates.due_for_review(session=session, party=party, days=days)
    table = Table("what", "code / version", "reasons")
    for p in found["profiles"]:
        table.add_row("profile", p["code"], "; ".join(p["reasons"]))
    for m in found["models"]:
        table.add_row("model", f"v{m['version']} ({m['status']})", "; ".join(m["reasons"]))
    console.print(table)


@app.command()
def candidate(
    risk_id: int,
    party: str = PARTY,
    code: str = typer.Option(..., help="The new draft profile's code."),
    channel: str = typer.Option("yellow"),
) -> None:
    """Generate a draft profile in the Party's profiles from a risk's indicators."""
    try:
        data = CandidateIn.model_validate({"code": code, "channel": channel})
    except ValidationError as error:
        raise _fail(str(error), 2) from None
    with acting_for(party), Session(ready_engine()) as session, session.begin():
        try:
            made = candidates.generate(
                session=session, author=author(party), risk_id=risk_id, data=data
            )
        except candidates.CandidateRefused as error:
            raise _fail(str(error)) from None
        except candidates.CandidateInvalid as error:
            for problem in error.problems:
                errors.print(f"[red]{code}[/] {problem}", soft_wrap=True)
            raise typer.Exit(2) from None
        if made is None:
            raise _fail(f"{party} sees no risk {risk_id}")
        console.print(
            f"draft profile {party}/{made.profile.code} (id {made.profile.id}) from "
            f"{service.reference(made.risk)}; backtest it with riskhub profiles backtest"
        )


# -- joint actions -------------------------------------------------------------------


def _rmwg() -> actions.Actor:
    return actions.Actor(None, SECRETARIAT_PARTY, Role.RMWG, "cli")


@actions_app.command("plan")
def plan(
    party: str = PARTY,
    title: str = typer.Option(...),
    goal: str = typer.Option(...),
    start: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD."),
    end: str = typer.Option(..., "--to", help="Last day, YYYY-MM-DD."),
    participant: list[str] = typer.Option(..., help="A participating Party (CEFTA or EU)."),
    agency: list[str] = typer.Option([]),
    profile: list[str] = typer.Option([]),
    rif: list[int] = typer.Option([]),
) -> None:
    """Propose a joint action to the RMWG."""
    try:
        data = ActionIn.model_validate(
            {
                "title": title,
                "goal": goal,
                "period_from": start,
                "period_to": end,
                "participants": participant,
                "agencies": agency,
                "profiles": profile,
                "rifs": rif,
            }
        )
    except ValidationError as error:
        raise _fail(str(error), 2) from None
    actor = actions.Actor(None, party, Role.ANALYST, "cli")
    with acting_for(party), Session(ready_engine()) as session, session.begin():
        try:
            row = actions.plan(session=session, actor=actor, data=data)
        except (actions.ActionInvalid, actions.ActionNotAllowed) as error:
            raise _fail(str(error), 2) from None
        console.print(f"joint action {row.id} planned: {row.title}")


@actions_app.command()
def validate(
    action_id: int,
    reject: str | None = typer.Option(None, help="Reject it, for this reason."),
    comment: str = typer.Option(""),
) -> None:
    """The RMWG validates a planned action (or rejects it with --reject REASON)."""
    with acting_for(SECRETARIAT_PARTY), Session(ready_engine()) as session, session.begin():
        try:
            if reject:
                row = actions.reject(
                    session=session, actor=_rmwg(), action_id=action_id, reason=reject
                )
            else:
                row = actions.validate(
                    session=session, actor=_rmwg(), action_id=action_id, comment=comment
                )
        except actions.ActionConflict as error:
            raise _fail(str(error)) from None
        if row is None:
            raise _fail(f"no joint action {action_id}")
        console.print(f"joint action {row.id}: {actions.status_of(row)}")


@actions_app.command()
def close(action_id: int, summary: str = typer.Option(...)) -> None:
    """The RMWG closes a running action with its summary."""
    with acting_for(SECRETARIAT_PARTY), Session(ready_engine()) as session, session.begin():
        try:
            row = actions.close(
                session=session, actor=_rmwg(), action_id=action_id, summary=summary
            )
        except actions.ActionConflict as error:
            raise _fail(str(error)) from None
        if row is None:
            raise _fail(f"no joint action {action_id}")
        console.print(f"joint action {row.id}: closed")


@actions_app.command()
def report(
    action_id: int,
    party: str = PARTY,
    controls: int = typer.Option(..., min=0),
    detections: int = typer.Option(..., min=0),
    seized_quantity: float | None = typer.Option(None),
    seized_unit: str | None = typer.Option(None),
    seized_value: float = typer.Option(0.0, help="EUR"),
    comment: str = typer.Option(""),
) -> None:
    """Report (or amend) the Party's results while the action runs."""
    try:
        data = ReportIn(
            controls=controls,
            detections=detections,
            seized_quantity=seized_quantity,
            seized_unit=seized_unit,
            seized_value_eur=seized_value,
            comment=comment,
        )
    except ValidationError as error:
        raise _fail(str(error), 2) from None
    actor = actions.Actor(None, party, Role.ANALYST, "cli")
    with acting_for(party), Session(ready_engine()) as session, session.begin():
        try:
            done = actions.report(session=session, actor=actor, action_id=action_id, data=data)
        except (actions.ActionConflict, actions.ActionNotAllowed) as error:
            raise _fail(str(error)) from None
        if done is None:
            raise _fail(f"{party} sees no joint action {action_id}")
        console.print(f"{party}: results {'reported' if done[1] else 'amended'}")


@actions_app.command("list")
def list_actions() -> None:
    """Every joint action (as the RMWG sees them)."""
    with acting_for(SECRETARIAT_PARTY), Session(ready_engine()) as session:
        rows = actions.list_actions(session=session, actor=_rmwg())
        table = Table("id", "by", "title", "period", "participants", "status")
        for row in rows:
            s = actions.summary_of(row)
            table.add_row(
                str(row.id),
                row.party,
                row.title,
                f"{row.period_from} - {row.period_to}",
                " ".join(s["participants"]),
                s["status"],
            )
        console.print(table)


@actions_app.command()
def summary(action_id: int) -> None:
    """Each participant's results and the totals."""
    with acting_for(SECRETARIAT_PARTY), Session(ready_engine()) as session:
        row = actions.get_action(session=session, actor=_rmwg(), action_id=action_id)
        if row is None:
            raise _fail(f"no joint action {action_id}")
        for line in actions.describe(session, row):
            console.print(line, highlight=False)
