"""The risk register: record and change risks, keep their history, heat map, profile performance.

Each Party keeps its own register; the CEFTA-wide register belongs to the
Secretariat's code (XS) and is kept by the RMWG. A Party reads its own register
and the CEFTA-wide one, never another Party's: the RMWG and the Secretariat see
the other registers as counts in the heat map only. RMWG members belong to a
CEFTA Party, so a CEFTA-wide write switches to XS inside the transaction, after
the role has been checked here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from riskhub.access.roles import Role
from riskhub.db.base import utcnow
from riskhub.db.tenancy import switched
from riskhub.governance.risks import heatmap as heat
from riskhub.governance.risks.indicators import check_indicators
from riskhub.governance.risks.models import Risk, RiskCandidate, RiskChange
from riskhub.governance.risks.schemas import EMERGING, RiskIn, RiskPatch
from riskhub.kpis import service as kpis
from riskhub.profiles.models import RiskProfile
from riskhub.profiles.service import list_kinds, shared_with
from riskhub.reference.parties import CEFTA_PARTIES, SECRETARIAT_PARTY

CEFTA_WIDE = SECRETARIAT_PARTY
# They see the CEFTA-wide register, and the Parties' registers as counts only.
OVERSIGHT = frozenset({Role.RMWG, Role.SECRETARIAT})
FIELDS = ("title", "category", "description", "likelihood", "impact", "owner", "treatment",
          "profiles", "indicators", "review_on", "status")  # fmt: skip


@dataclass(frozen=True)
class Author:
    """Who changes the register: their user id, Party, role and name."""

    user_id: int | None
    party: str
    role: Role
    name: str

    def describe(self) -> str:
        return f"{self.name} ({self.role.value}, {self.party})"


class RegisterForbidden(PermissionError):
    """The caller may read the risk but not keep this register."""


class RegisterConflict(ValueError):
    """The risk is not in a state that allows the change."""


class RegisterInvalid(ValueError):
    """Bad input, field by field: ``problems`` holds (field, why)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{name}: {why}" for name, why in problems))
        self.problems = problems


def reference(risk: Risk) -> str:
    """The risk's name in its register, e.g. XS-R-007."""
    return f"{risk.party}-R-{risk.number:03d}"


def register_of(author: Author) -> str:
    """The register an author keeps: analysts their Party's, the RMWG the CEFTA-wide one."""
    if author.role is Role.RMWG:
        return CEFTA_WIDE
    if author.role is Role.ANALYST:
        return author.party
    raise RegisterForbidden(f"the {author.role.value} role keeps no risk register")


def _registers(party: str) -> list[str]:
    return sorted({party, CEFTA_WIDE})


@contextmanager
def _acting_as(session: Session, author: Author, register: str) -> Iterator[None]:
    # Row-level security lets a Party write its own rows only: the RMWG's CEFTA-wide
    # work is written as XS, once the role check above has passed.
    with switched(session, register) if register != author.party else nullcontext():
        yield
        session.flush()


# -- reading -------------------------------------------------------------------------


def list_risks(
    *, session: Session, party: str, status: str | None = None, overdue: bool | None = None,
    today: date | None = None,
) -> list[Risk]:  # fmt: skip
    """The risks of ``party``'s register and the CEFTA-wide one, most severe first."""
    today = today or utcnow().date()
    query = select(Risk).where(Risk.party.in_(_registers(party)))
    if status:
        query = query.where(Risk.status == status)
    if overdue is not None:
        late = (Risk.status == "open") & (Risk.review_on < today)
        query = query.where(late if overdue else ~late)
    rows = session.scalars(query.order_by(Risk.party, Risk.number)).all()
    return sorted(rows, key=lambda r: (-heat.rating(r.likelihood, r.impact), r.party, r.number))


def get_risk(*, session: Session, party: str, risk_id: int) -> Risk | None:
    """A risk of ``party``'s register or the CEFTA-wide one; None otherwise (a 404)."""
    row = session.get(Risk, risk_id)
    return row if row is not None and row.party in _registers(party) else None


def history(*, session: Session, risk: Risk) -> list[RiskChange]:
    """Every change of a risk, oldest first."""
    return list(
        session.scalars(
            select(RiskChange).where(RiskChange.risk_id == risk.id).order_by(RiskChange.version)
        )
    )


def candidates_of(*, session: Session, party: str, risk: Risk) -> list[RiskCandidate]:
    """The profiles ``party`` generated from this risk."""
    return list(
        session.scalars(
            select(RiskCandidate)
            .where(RiskCandidate.party == party, RiskCandidate.risk_id == risk.id)
            .order_by(RiskCandidate.id)
        )
    )


def summary_of(risk: Risk, today: date | None = None) -> dict[str, Any]:
    """The risk as the API and CLI show it in lists."""
    today = today or utcnow().date()
    return {
        "id": risk.id, "reference": reference(risk), "party": risk.party,
        "cefta_wide": risk.party == CEFTA_WIDE, "version": risk.version, "title": risk.title,
        "category": risk.category, "emerging": risk.category in EMERGING,
        "likelihood": risk.likelihood, "impact": risk.impact,
        "rating": heat.rating(risk.likelihood, risk.impact),
        "level": heat.level(risk.likelihood, risk.impact), "owner": risk.owner,
        "treatment": risk.treatment, "profiles": json.loads(risk.profiles),
        "has_indicators": risk.indicators is not None, "review_on": risk.review_on,
        "overdue": heat.overdue(risk.review_on, risk.status, today), "status": risk.status,
        "updated_at": risk.updated_at,
    }  # fmt: skip


def heatmap(
    *, session: Session, party: str, role: Role, today: date | None = None
) -> dict[str, Any]:
    """Open risks by likelihood and impact: a Party's own and the CEFTA-wide ones.

    The RMWG and the Secretariat get the CEFTA-wide grid and each Party's as counts.
    """
    today = today or utcnow().date()
    registers = [CEFTA_WIDE] if role in OVERSIGHT else _registers(party)
    scores = _open_scores(session, registers)
    by_party: dict[str, list[list[int]]] = {}
    if role in OVERSIGHT:
        for other in sorted(CEFTA_PARTIES):
            # Each register is read as its own Party (row-level security), counted, and
            # nothing but the counts leaves this function.
            with switched(session, other):
                by_party[other] = heat.grid(
                    (li, im) for li, im, _ in _open_scores(session, [other])
                )
    cells = heat.grid((li, im) for li, im, _ in scores)
    return {
        "parties": registers,
        "grid": cells,
        "levels": heat.levels(cells),
        "overdue": sum(1 for *_, review_on in scores if review_on < today),
        "by_party": by_party,
    }


def _open_scores(session: Session, registers: list[str]) -> list[tuple[int, int, date]]:
    rows = session.execute(
        select(Risk.likelihood, Risk.impact, Risk.review_on).where(
            Risk.party.in_(registers), Risk.status == "open"
        )
    )
    return [(li, im, review_on) for li, im, review_on in rows]


def performance(*, engine: Engine, risk: Risk, party: str, role: Role) -> list[dict[str, Any]]:
    """How the risk's linked profiles perform: rows of the KPIs' profile effectiveness review.

    In a Party's own register: in that Party. A CEFTA-wide risk: in the reader's Party,
    or across the CEFTA Parties for the RMWG and the Secretariat.
    """
    names = json.loads(risk.profiles)
    if not names:
        return []
    if risk.party != CEFTA_WIDE:
        parties = [risk.party]
    else:
        parties = sorted(CEFTA_PARTIES) if role in OVERSIGHT else [party]
    since, until = kpis.period(None, None)
    reviewed = {
        row["profile"]: row
        for row in kpis.profile_review(engine=engine, parties=parties, since=since, until=until)
    }
    return [
        reviewed.get(name, {"profile": name, "note": "not active here: no KPIs to show"})
        for name in names
    ]


# -- writing -------------------------------------------------------------------------


def add_risk(*, session: Session, author: Author, data: RiskIn, today: date | None = None) -> Risk:
    """Record a new risk in the author's register; its first history entry says what it was."""
    today = today or utcnow().date()
    register = register_of(author)
    if data.review_on < today:
        raise RegisterInvalid([("review_on", "the next review cannot be in the past")])
    with _acting_as(session, author, register):
        values = _checked(session, register, data.model_dump())
        now = utcnow()
        for _ in range(3):
            number = (
                session.scalar(select(func.max(Risk.number)).where(Risk.party == register)) or 0
            ) + 1
            try:
                # Two risks recorded at once may take the same number: the second retries.
                with session.begin_nested():
                    row = Risk(party=register, number=number, version=1, status="open",
                               created_by=author.user_id, created_at=now, updated_at=now,
                               **values)  # fmt: skip
                    session.add(row)
                    session.flush()
                break
            except IntegrityError:
                continue
        else:
            raise RegisterConflict("the register is busy: try again")
        first = {name: [None, _shown(name, getattr(row, name))] for name in FIELDS}
        _record(session, row, "recorded", first, author, now)
    return row


def change_risk(
    *, session: Session, author: Author, risk_id: int, patch: RiskPatch, today: date | None = None
) -> Risk | None:
    """Change a risk of the author's register; each changed field enters the history."""
    today = today or utcnow().date()
    row = get_risk(session=session, party=author.party, risk_id=risk_id)
    if row is None:
        return None
    register = register_of(author)
    if row.party != register:
        raise RegisterForbidden(
            "the CEFTA-wide register is kept by the RMWG"
            if row.party == CEFTA_WIDE
            else "a Party's register is kept by its analysts; the RMWG keeps the CEFTA-wide one"
        )
    asked = patch.model_dump(exclude_unset=True)
    for name in ("title", "category", "likelihood", "impact", "owner", "treatment", "profiles",
                 "review_on", "status", "description"):  # fmt: skip
        if name in asked and asked[name] is None:
            raise RegisterInvalid([(name, "cannot be removed (null); send a value")])
    closing = asked.get("status", row.status)
    if row.status == "closed" and closing == "closed" and set(asked) - {"status"}:
        raise RegisterConflict(f"{reference(row)} is closed: reopen it (status: open) to change it")
    if "review_on" in asked and asked["review_on"] < today:
        raise RegisterInvalid([("review_on", "the next review cannot be in the past")])
    with _acting_as(session, author, register):
        values = _checked(session, register, asked)
        changes = {
            name: [_shown(name, getattr(row, name)), _shown(name, value)]
            for name, value in values.items()
            if getattr(row, name) != value
        }
        if not changes:
            return row
        if "likelihood" in changes or "impact" in changes:
            old = (row.likelihood, row.impact)
            new = (values.get("likelihood", row.likelihood), values.get("impact", row.impact))
            changes["rating"] = [heat.rating(*old), heat.rating(*new)]
        for name, value in values.items():
            setattr(row, name, value)
        action = "changed"
        if "status" in changes:
            action = "closed" if row.status == "closed" else "reopened"
        row.version += 1
        row.updated_at = utcnow()
        _record(session, row, action, changes, author, row.updated_at)
    return row


def link_profile(*, session: Session, author: Author, risk: Risk, name: str) -> None:
    """Add a profile to a risk of the author's own register (a generated candidate)."""
    links = json.loads(risk.profiles)
    if name in links:
        return
    change_risk(session=session, author=author, risk_id=risk.id,
                patch=RiskPatch(profiles=[*links, name]))  # fmt: skip


def _checked(session: Session, register: str, values: dict[str, Any]) -> dict[str, Any]:
    """The values as stored, or RegisterInvalid naming each bad field."""
    out = dict(values)
    problems: list[tuple[str, str]] = []
    if "profiles" in values:
        names, unknown = [], []
        for given in values["profiles"]:
            owner, _, code = given.rpartition("/")
            owner = owner or register
            if owner not in (register, CEFTA_WIDE) or not _profile_exists(
                session, register, owner, code
            ):
                unknown.append(given)
            elif f"{owner}/{code}" not in names:
                names.append(f"{owner}/{code}")
        if unknown:
            problems.append(
                ("profiles", f"no such profile of {register} or common profile: "
                             f"{', '.join(unknown)}")
            )  # fmt: skip
        out["profiles"] = json.dumps(names)
    if values.get("indicators") is not None:
        kinds = list_kinds(session=session, party=register)
        problems.extend(("indicators", p) for p in check_indicators(values["indicators"], kinds))
    if problems:
        raise RegisterInvalid(problems)
    return out


def _profile_exists(session: Session, register: str, owner: str, code: str) -> bool:
    row = session.scalars(
        select(RiskProfile).where(RiskProfile.party == owner, RiskProfile.code == code)
    ).first()
    return row is not None and (row.party == register or shared_with(session, register, row))


def _shown(name: str, value: Any) -> Any:
    if name == "profiles" and isinstance(value, str):
        return json.loads(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _record(
    session: Session, row: Risk, action: str, changes: dict[str, Any], author: Author, now: Any
) -> None:
    session.add(
        RiskChange(
            risk_id=row.id, party=row.party, version=row.version, action=action,
            changes=json.dumps(changes, default=str), changed_by=author.user_id,
            actor=author.describe()[:160], changed_at=now,
        )
    )  # fmt: skip
    session.flush()
