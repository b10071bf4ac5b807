"""``riskhub governance``: RIFs and the common risk profiles' lifecycle, from the terminal.

The operator acts for a Party (``--party``) as its analyst or RMWG member
would through the API; the same services refuse the same steps with the same
words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import typer
import yaml
from pydantic import ValidationError
from rich.table import Table
from sqlalchemy.orm import Session

from riskhub.cli.common import console, errors, ready_engine
from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for
from riskhub.governance.common_profiles import from_rif, publication, service
from riskhub.governance.rifs import service as rifs
from riskhub.governance.rifs.schemas import RifIn, SharingIn

app = typer.Typer(help="RIFs and common risk profiles agreed by the Parties.", no_args_is_help=True)
rif_app = typer.Typer(help="Risk Information Forms: raise, share, feedback.", no_args_is_help=True)
profile_app = typer.Typer(
    help="Common risk profiles: draft, propose, vote, adopt, publish, activate, review.",
    no_args_is_help=True,
)
app.add_typer(rif_app, name="rif")
app.add_typer(profile_app, name="profile")
PARTY = typer.Option(..., "--party", help="The Party acted for, e.g. RS.")


@contextmanager
def _acting(party: str) -> Iterator[Session]:
    """A transaction for ``party``; a refused step prints why and exits 1 (nothing kept)."""
    with acting_for(party.upper()), Session(ready_engine()) as session:
        try:
            with session.begin():
                yield session
        except (ValueError, ValidationError) as error:
            errors.print(f"[red]Refused:[/] {error}")
            raise typer.Exit(1) from error


def _found(thing: Any, what: str) -> Any:
    if thing is None:
        errors.print(f"[red]No {what} visible to this Party.[/]")
        raise typer.Exit(1)
    return thing


@rif_app.command("raise")
def raise_rif(
    party: str = PARTY,
    file: Path = typer.Argument(..., exists=True, help="The RIF as YAML or JSON."),
    share: bool = typer.Option(False, help="Share at once, as the file's distribution says."),
) -> None:
    """Raise a RIF from a file (fields as in the API's RifIn)."""
    with _acting(party) as session:
        body = RifIn.model_validate({**yaml.safe_load(file.read_text()), "share": share})
        row = rifs.raise_rif(session=session, party=party.upper(), body=body, user_id=None,
                             now=utcnow())  # fmt: skip
        console.print(f"{row.number} (id {row.id}) {row.status}.")


@rif_app.command("list")
def list_rifs(party: str = PARTY) -> None:
    """The RIFs a Party raised or received, with their feedback."""
    table = Table("id", "number", "from", "status", "urgency", "valid until", "title", "feedback")
    now = utcnow()
    with _acting(party) as session:
        for row in rifs.list_rifs(session=session, party=party.upper()):
            view = rifs.view(session=session, party=party.upper(), row=row, now=now)
            given = ", ".join(f"{f.party} {f.outcome}" for f in view["feedback"])
            if view["feedback_overdue"]:
                given = "[red]overdue[/]"
            table.add_row(str(row.id), row.number, row.party, row.status, row.urgency,
                          str(row.valid_until), row.title, given or "–")  # fmt: skip
    console.print(table)


@rif_app.command()
def share(
    party: str = PARTY,
    rif_id: int = typer.Argument(...),
    distribution: str = typer.Option("cefta", help="group, cefta or cefta_eu."),
    group: str | None = typer.Option(None, help="The sharing group, for --distribution group."),
) -> None:
    """Share a RIF of the Party (refused once it expired or was withdrawn)."""
    with _acting(party) as session:
        sharing = SharingIn.model_validate({"distribution": distribution, "group": group})
        row = _found(rifs.share(session=session, party=party.upper(), rif_id=rif_id,
                                sharing=sharing, now=utcnow()), "such RIF of yours")  # fmt: skip
        console.print(f"{row.number} shared ({row.distribution}).")


@rif_app.command()
def feedback(
    party: str = PARTY,
    rif_id: int = typer.Argument(...),
    from_inspections_days: int = typer.Option(
        90, "--from-inspections-days", min=1, help="Count the Party's controls of the RIF's goods "
        "over this many days before today.",
    ),
) -> None:  # fmt: skip
    """Give the Party's feedback on a RIF it received, from its own inspection results."""
    now = utcnow()
    until = datetime.combine(now.date(), time()) + timedelta(days=1)
    with _acting(party) as session:
        row = _found(rifs.get_rif(session=session, party=party.upper(), rif_id=rif_id), "such RIF")
        body = rifs.feedback_from_inspections(
            session=session, party=party.upper(), row=row,
            since=until - timedelta(days=from_inspections_days), until=until,
        )  # fmt: skip
        rifs.give_feedback(session=session, party=party.upper(), rif_id=rif_id, body=body,
                           user_id=None, now=now)  # fmt: skip
        console.print(f"Feedback on {row.number}: {body.outcome}; {body.comment}.")


@rif_app.command("to-profile")
def to_profile(party: str = PARTY, rif_id: int = typer.Argument(...)) -> None:
    """Turn a RIF into a draft common profile in one step."""
    with _acting(party) as session:
        case = _found(from_rif.draft_from_rif(session=session, party=party.upper(), rif_id=rif_id,
                                              user_id=None, now=utcnow()), "such RIF")  # fmt: skip
        console.print(f"Draft common profile {case.code} (case {case.id}); edit, then propose it.")


@profile_app.command("list")
def list_cases(party: str = PARTY) -> None:
    """Every common profile case the Party can see, with its votes and local use."""
    table = Table("case", "code", "v", "status", "approve", "reject", "abstain", "quorum",
                  "in use", "review due", "title")  # fmt: skip
    with _acting(party) as session:
        for case in service.list_cases(session=session, party=party.upper()):
            t = service.tally(session=session, case=case)
            share = publication.activation_share(session=session, case=case)
            table.add_row(str(case.id), case.code, str(case.version), case.status,
                          str(t["approve"]), str(t["reject"]), str(t["abstain"]),
                          str(case.quorum or "–"), f"{share:.0%}", str(case.review_due or "–"),
                          case.title)  # fmt: skip
    console.print(table)


@profile_app.command()
def show(party: str = PARTY, case_id: int = typer.Argument(...)) -> None:
    """One case's votes, local decisions and every step taken."""
    with _acting(party) as session:
        case = _found(service.get_case(session=session, party=party.upper(), case_id=case_id),
                      "such case")  # fmt: skip
        console.print(f"[bold]{case.code}[/] version {case.version}: {case.status}. {case.title}")
        for v in service.votes(session=session, case=case):
            console.print(f"  vote {v.party}: {v.vote}" + (f" ({v.comment})" if v.comment else ""))
        for d in publication.local_decisions(session=session, code=case.code):
            state = "uses it" if d.active else f"does not use it: {d.reason}"
            console.print(f"  {d.party} {state} (version {d.version})")
        for e in service.events(session=session, case=case):
            console.print(f"  {e.at:%Y-%m-%d %H:%M} {e.party} {e.event}: {e.detail}")


@profile_app.command()
def draft(party: str = PARTY, file: Path = typer.Argument(..., exists=True)) -> None:
    """Draft a common profile from a profile YAML file."""
    with _acting(party) as session:
        case = service.draft(session=session, party=party.upper(), text=file.read_text(),
                             user_id=None, now=utcnow())  # fmt: skip
        console.print(f"Draft {case.code} version {case.version} (case {case.id}).")


def _step(name: str, step: Callable[..., Any]) -> None:
    def command(party: str = PARTY, case_id: int = typer.Argument(...)) -> None:
        with _acting(party) as session:
            case = _found(step(session=session, party=party.upper(), case_id=case_id,
                               user_id=None, now=utcnow()), "such case")  # fmt: skip
            console.print(f"{case.code} version {case.version}: {case.status}.")

    command.__doc__ = f"{name.capitalize()} a common profile case."
    profile_app.command(name)(command)


_step("propose", service.propose)
_step("adopt", service.adopt)
_step("reject", service.reject)
_step("publish", publication.publish)


@profile_app.command()
def vote(
    party: str = PARTY,
    case_id: int = typer.Argument(...),
    choice: str = typer.Argument(..., help="approve, reject or abstain"),
    comment: str = typer.Option("", help="Why (required to reject)."),
) -> None:
    """Cast the Party's one vote on a proposed case."""
    if choice not in ("approve", "reject", "abstain"):
        errors.print("[red]Vote approve, reject or abstain.[/]")
        raise typer.Exit(2)
    if choice == "reject" and not comment.strip():
        errors.print("[red]A rejection says why: give --comment.[/]")
        raise typer.Exit(2)
    with _acting(party) as session:
        _found(service.vote(session=session, party=party.upper(), case_id=case_id, choice=choice,
                            comment=comment, user_id=None, now=utcnow()), "such case")  # fmt: skip
        console.print(f"{party.upper()} voted {choice} on case {case_id}.")


@profile_app.command()
def activate(
    party: str = PARTY,
    case_id: int = typer.Argument(...),
    decline: str | None = typer.Option(None, help="Do not use it, for this reason."),
) -> None:
    """Use a published common profile at the Party's borders (or record why not)."""
    with _acting(party) as session:
        row = _found(publication.decide_locally(
            session=session, party=party.upper(), case_id=case_id, active=decline is None,
            reason=decline or "", user_id=None, now=utcnow(),
        ), "such case")  # fmt: skip
        console.print(f"{row.party}: {row.code} {'active' if row.active else 'declined'}.")


@profile_app.command()
def adoption(party: str = PARTY) -> None:
    """The S6 KPI: which CEFTA Parties approved every common profile in force."""
    with _acting(party) as session:
        kpi = publication.adoption(session=session)
    console.print(
        f"{kpi['published_profiles']} common profiles in force; approved all of them: "
        f"{', '.join(kpi['parties_approving_all']) or 'nobody'} "
        f"({kpi['share_approving_all']:.0%} of {kpi['cefta_parties']} CEFTA Parties; target 50%)."
    )


@profile_app.command()
def review(
    party: str = PARTY,
    case_id: int = typer.Argument(...),
    revise: Path | None = typer.Option(None, exists=True, help="Draft this file as next version."),
    withdraw: str | None = typer.Option(None, help="Withdraw it everywhere, for this reason."),
    comment: str = typer.Option("", help="What the review concluded."),
) -> None:
    """Review a published common profile: keep it (default), revise it, or withdraw it."""
    if revise and withdraw:
        errors.print("[red]Revise or withdraw, not both.[/]")
        raise typer.Exit(2)
    now, who = utcnow(), party.upper()
    with _acting(party) as session:
        case = _found(service.get_case(session=session, party=who, case_id=case_id), "such case")
        if revise is not None:
            case = publication.revise(session=session, party=who, case=case,
                                      text=revise.read_text(), comment=comment, user_id=None,
                                      now=now)  # fmt: skip
        elif withdraw is not None:
            case = publication.withdraw(session=session, party=who, case=case, comment=withdraw,
                                        user_id=None, now=now)  # fmt: skip
        else:
            case = service.keep(session=session, party=who, case=case, comment=comment,
                                next_review=None, user_id=None, now=now)  # fmt: skip
        console.print(f"{case.code} version {case.version}: {case.status}.")
