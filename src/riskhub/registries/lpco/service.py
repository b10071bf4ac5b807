"""The LPCO registry: issue, find, list, suspend, reinstate and revoke; history and drawdowns.

An LPCO belongs to the Party whose agency issued it, and only that agency
changes it. Revocation is final; a suspension can be lifted. Every change of
status is kept with who made it, when and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from riskhub.access.models import Agency
from riskhub.registries.lpco.models import Lpco, LpcoDrawdown, LpcoEvent
from riskhub.registries.lpco.schemas import LpcoEventOut, LpcoIn, LpcoOut

ACTIVE, SUSPENDED, REVOKED = "active", "suspended", "revoked"
STATUSES = (ACTIVE, SUSPENDED, REVOKED)
# action -> (statuses it may start from, the status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "suspend": ((ACTIVE,), SUSPENDED),
    "reinstate": ((SUSPENDED,), ACTIVE),
    "revoke": ((ACTIVE, SUSPENDED), REVOKED),
}


class LpcoError(ValueError):
    """A request the registry refuses, in plain words; ``status`` is the HTTP answer."""

    def __init__(self, message: str, *, status: int = 422, field: str = "") -> None:
        super().__init__(message)
        self.status, self.field = status, field


@dataclass(frozen=True, slots=True)
class Issuer:
    """Who acts on the registry: a name for the history and, for agency officers, their agency."""

    actor: str
    agency: str | None = None  # None: an operator (CLI), who may act for any agency


def agencies(*, session: Session) -> list[str]:
    """The agency codes of the reference table."""
    return list(session.scalars(select(Agency.code).order_by(Agency.code)))


def issue_lpco(
    *, session: Session, party: str, body: LpcoIn, issuer: Issuer, now: datetime
) -> Lpco:
    """Record a new LPCO of ``party``; 422 for an unknown agency, 409 for a number in use."""
    agency = body.agency or issuer.agency
    if agency is None:
        raise LpcoError("agency: say which agency issues the LPCO", field="agency")
    if issuer.agency is not None and agency != issuer.agency:
        raise LpcoError(
            f"agency: you issue for the {issuer.agency} agency, not {agency}",
            status=403, field="agency",
        )  # fmt: skip
    known = agencies(session=session)
    if agency not in known:
        raise LpcoError(f"agency: unknown agency '{agency}'; one of {', '.join(known)}",
                        field="agency")  # fmt: skip
    if find_lpco(session=session, party=party, number=body.number) is not None:
        raise LpcoError(f"number: LPCO {body.number} already exists in {party}'s registry",
                        status=409, field="number")  # fmt: skip
    row = Lpco(
        party=party, number=body.number, kind=body.kind, agency=agency, holder=body.holder,
        hs_scope=";".join(dict.fromkeys(body.hs_scope)), allowance=body.allowance,
        unit=body.unit, used=0.0, valid_from=body.valid_from, valid_to=body.valid_to,
        status=ACTIVE, issued_by=issuer.actor, created_at=now, updated_at=now,
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as error:  # the same number issued at the same moment
        raise LpcoError(f"number: LPCO {body.number} already exists in {party}'s registry",
                        status=409, field="number") from error  # fmt: skip
    session.add(
        LpcoEvent(party=party, lpco_id=row.id, action="issue", status=ACTIVE,
                  reason="issued", actor=issuer.actor, at=now)
    )  # fmt: skip
    session.flush()
    return row


def get_lpco(*, session: Session, party: str, lpco_id: int) -> Lpco | None:
    """One of ``party``'s LPCOs; None if there is none with this id (or it is another's)."""
    row = session.get(Lpco, lpco_id)
    return row if row is not None and row.party == party else None


def find_lpco(*, session: Session, party: str, number: str) -> Lpco | None:
    """``party``'s LPCO with this number, if any."""
    return session.scalar(select(Lpco).where(Lpco.party == party, Lpco.number == number))


def list_lpcos(
    *, session: Session, party: str, agency: str | None = None, holder: str | None = None,
    status: str | None = None, limit: int = 100, offset: int = 0,
) -> list[Lpco]:  # fmt: skip
    """``party``'s LPCOs, newest first, optionally of one agency, holder or status."""
    query = select(Lpco).where(Lpco.party == party)
    if agency:
        query = query.where(Lpco.agency == agency)
    if holder:
        query = query.where(Lpco.holder == holder)
    if status:
        query = query.where(Lpco.status == status)
    query = query.order_by(Lpco.created_at.desc(), Lpco.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(query))


def registry_page(
    *, session: Session, party: str, agency: str | None = None, kind: str | None = None,
    status: str | None = None, limit: int = 100,
) -> tuple[list[Lpco], int]:  # fmt: skip
    """``party``'s LPCOs, newest first, filtered: the first ``limit``, and how many match."""
    where = [Lpco.party == party]
    for column, value in ((Lpco.agency, agency), (Lpco.kind, kind), (Lpco.status, status)):
        if value:
            where.append(column == value)
    query = select(Lpco).where(*where).order_by(Lpco.created_at.desc(), Lpco.id.desc())
    total = session.scalar(select(func.count()).select_from(Lpco).where(*where))
    return list(session.scalars(query.limit(limit))), int(total or 0)


def change_status(
    *, session: Session, party: str, lpco_id: int, action: str, reason: str, issuer: Issuer,
    now: datetime,
) -> Lpco | None:  # fmt: skip
    """Suspend, reinstate or revoke one of ``party``'s LPCOs; None if not found.

    Refused (409) when the status does not allow it (a revoked LPCO stays
    revoked), and (403) when the LPCO is another agency's.
    """
    starts, to = TRANSITIONS[action]
    row = session.scalar(
        select(Lpco).where(Lpco.id == lpco_id, Lpco.party == party).with_for_update()
    )
    if row is None:
        return None
    if issuer.agency is not None and row.agency != issuer.agency:
        raise LpcoError(
            f"LPCO {row.number} was issued by the {row.agency} agency; only it may {action} it",
            status=403,
        )
    if row.status not in starts:
        final = " (revocation is final)" if row.status == REVOKED else ""
        raise LpcoError(f"LPCO {row.number} is {row.status}: it cannot be {_done(action)}{final}",
                        status=409)  # fmt: skip
    row.status, row.updated_at = to, now
    session.add(LpcoEvent(party=party, lpco_id=row.id, action=action, status=to,
                          reason=reason, actor=issuer.actor, at=now))  # fmt: skip
    session.flush()
    return row


def _done(action: str) -> str:
    return {"suspend": "suspended", "reinstate": "reinstated", "revoke": "revoked"}[action]


def history(*, session: Session, lpco: Lpco) -> list[LpcoEvent]:
    """The LPCO's changes of status, oldest first."""
    e = LpcoEvent
    return list(
        session.scalars(
            select(e).where(e.lpco_id == lpco.id, e.party == lpco.party).order_by(e.at, e.id)
        )
    )


def drawdowns(
    *, session: Session, lpco: Lpco, limit: int = 500, offset: int = 0
) -> list[LpcoDrawdown]:
    """What declarations drew from the LPCO's allowance, latest first."""
    d = LpcoDrawdown
    query = (
        select(d)
        .where(d.lpco_id == lpco.id, d.party == lpco.party)
        .order_by(d.drawn_at.desc(), d.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(query))


def describe(lpco: Lpco, events: Sequence[LpcoEvent] = ()) -> LpcoOut:
    """The API's view of an LPCO."""
    left = None if lpco.allowance is None else round(lpco.allowance - lpco.used, 6)
    return LpcoOut(
        id=lpco.id, party=lpco.party, number=lpco.number, kind=lpco.kind, agency=lpco.agency,
        holder=lpco.holder, hs_scope=[p for p in lpco.hs_scope.split(";") if p],
        allowance=lpco.allowance, unit=lpco.unit, used=lpco.used, left=left,
        valid_from=lpco.valid_from, valid_to=lpco.valid_to, status=lpco.status,
        issued_by=lpco.issued_by,
        history=[LpcoEventOut.model_validate(e) for e in events],
    )  # fmt: skip
