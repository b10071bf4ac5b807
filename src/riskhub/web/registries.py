"""Pages of the registries: AEO authorisations and recognitions, the AEO KPIs, the LPCO registry.

The same rules as the API (``registries/routes.py``, ``registries/lpco/routes.py``):
a Party reads its own registries; an agency officer reads and changes only its
own agency's LPCOs (another agency's, like another Party's, is not found); the
AEO KPIs are aggregates, shown to the roles that read aggregates.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, get_args
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from riskhub.access.principal import Principal
from riskhub.access.roles import Permission, Role, allows
from riskhub.db.base import utcnow
from riskhub.db.engine import get_engine
from riskhub.kpis import aeo as aeo_kpis
from riskhub.kpis import service as kpis
from riskhub.registries import recognition
from riskhub.registries import service as aeo
from riskhub.registries.lpco import service as lpcos
from riskhub.registries.lpco.models import Lpco
from riskhub.registries.lpco.schemas import LpcoKind, StatusChangeIn
from riskhub.web.pages import audited, render, viewer, writing

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(viewer(Permission.REGISTRIES_READ))]
Issuer = Annotated[Principal, Depends(viewer(Permission.LPCO_ISSUE))]
KINDS: tuple[str, ...] = get_args(LpcoKind)
SHOWN = 100  # rows of each list on the page; the rest are counted
CHANGES = {"suspend": "suspended", "reinstate": "reinstated"}  # what the page offers issuers
NOT_FOUND = "There is no LPCO with this number in your registry."


def _agency_seen(user: Principal) -> str | None:
    # As the API: an agency officer reads its own agency's LPCOs only (none recorded: none).
    return (user.agency or "-") if user.role is Role.AGENCY_OFFICER else None


def _own_agency(user: Principal) -> str | None:
    # As the API: an agency officer changes its own agency's LPCOs only (None: any agency's).
    return (user.agency or "") if user.role is Role.AGENCY_OFFICER else None


def _choice(value: str, allowed: tuple[str, ...], what: str) -> str | None:
    if value and value not in allowed:
        raise HTTPException(422, f"The {what} '{value}' is not one of {', '.join(allowed)}.")
    return value or None


@router.get("/registries", response_class=HTMLResponse)
def registries(request: Request, user: Reader, kind: str = "", status: str = "") -> Response:
    """The Party's AEOs and recognitions, its AEO KPIs, and its LPCO registry (filtered)."""
    chosen_kind = _choice(kind, KINDS, "kind")
    chosen_status = _choice(status, lpcos.STATUSES, "status")
    today = date.today()
    with Session(get_engine()) as session:
        authorisations, n_authorisations = aeo.own_authorisations(
            session=session, party=user.party, limit=SHOWN
        )
        agreements = recognition.list_recognitions(session=session, party=user.party)
        rows, n_lpcos = lpcos.registry_page(
            session=session, party=user.party, agency=_agency_seen(user), kind=chosen_kind,
            status=chosen_status, limit=SHOWN,
        )  # fmt: skip
        found = [lpcos.describe(r) for r in rows]
    return render(request, "registries/index.html", user, today=today,
                  authorisations=authorisations, n_authorisations=n_authorisations,
                  agreements=agreements, partner_name=recognition.partner_name,
                  lpcos=found, n_lpcos=n_lpcos, kinds=KINDS, statuses=lpcos.STATUSES,
                  kind=kind, status=status, agency=_agency_seen(user),
                  passage=_aeo_kpis(user, today))  # fmt: skip


def _aeo_kpis(user: Principal, today: date) -> dict[str, Any] | None:
    """AEOs with priority passage today, as ``GET /api/v1/aeo/kpis`` counts them, or None."""
    if not allows(user.role, Permission.AGGREGATES_READ):
        return None
    parties = kpis.parties_for(party=user.party, role=user.role)
    return aeo_kpis.priority_passage(engine=get_engine(), parties=parties, on=today)


@router.get("/registries/aeo-release-times", response_class=HTMLResponse)
def release_times(request: Request, user: Reader) -> Response:
    """Release times of AEOs against the others (a fragment: it reads the KPI frame)."""
    if not allows(user.role, Permission.AGGREGATES_READ):
        raise HTTPException(403, f"The {user.role.value} role does not read aggregates.")
    first, last = kpis.period(None, None)
    cross = user.role in kpis.CROSS_PARTY_ROLES
    rows = aeo_kpis.release_times(
        engine=get_engine(), parties=kpis.parties_for(party=user.party, role=user.role),
        since=first, until=last, min_group=kpis.MIN_GROUP if cross else 0,
    )  # fmt: skip
    span = kpis.span(first, last)
    # htmx swaps the table into the registries page; a browser without it gets a page of its own.
    fragment = request.headers.get("hx-request") == "true"
    return render(request, f"registries/{'_' if fragment else ''}release_times.html", user,
                  rows=rows, since=span["since"], until=span["until"])  # fmt: skip


def _readable(session: Session, user: Principal, number: str) -> Lpco:
    row = lpcos.find_lpco(session=session, party=user.party, number=number)
    seen = _agency_seen(user)
    if row is None or (seen is not None and row.agency != seen):
        raise HTTPException(404, NOT_FOUND)
    return row


def _lpco_page(request: Request, user: Principal, number: str, *, status_code: int = 200,
               error: str | None = None, reason: str = "") -> Response:  # fmt: skip
    with Session(get_engine()) as session:
        row = _readable(session, user, number)
        shown = lpcos.describe(row, lpcos.history(session=session, lpco=row))
        drawn = lpcos.drawdowns(session=session, lpco=row, limit=SHOWN + 1)
    own = _own_agency(user)
    may_change = allows(user.role, Permission.LPCO_ISSUE) and own in (None, shown.agency)
    offered = {"active": "suspend", "suspended": "reinstate"}.get(shown.status)
    return render(request, "registries/lpco.html", user, status_code=status_code, lpco=shown,
                  drawdowns=drawn[:SHOWN], more_drawdowns=len(drawn) > SHOWN,
                  action=offered if may_change else None, error=error,
                  reason=reason)  # fmt: skip


@router.get("/registries/lpco/{number:path}", response_class=HTMLResponse)
def lpco_detail(request: Request, user: Reader, number: str) -> Response:
    """One LPCO: its terms, what is used and left, its history and its drawdowns."""
    return _lpco_page(request, user, number)


@router.post("/registries/lpco/{number:path}", response_model=None)
def change_lpco(
    request: Request, user: Issuer, number: str,
    action: Annotated[str, Form(max_length=12)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:  # fmt: skip
    """Suspend or reinstate an LPCO of the officer's agency, with the reason kept in its history."""
    if action not in CHANGES:
        raise HTTPException(422, f"The page suspends or reinstates an LPCO, not '{action}'.")
    try:
        body = StatusChangeIn(reason=reason.strip())
    except ValidationError as invalid:
        problem = invalid.errors()[0]["msg"].lower()
        why = f"Give a reason of 3 to 500 characters, kept in the LPCO's history ({problem})."
        return _lpco_page(request, user, number, status_code=422, error=why, reason=reason)
    issuer = lpcos.Issuer(actor=user.describe(), agency=_own_agency(user))
    try:
        with writing() as session:
            row = _readable(session, user, number)
            lpco_id = row.id
            changed = lpcos.change_status(session=session, party=user.party, lpco_id=lpco_id,
                                          action=action, reason=body.reason, issuer=issuer,
                                          now=utcnow())  # fmt: skip
            if changed is None:
                raise HTTPException(404, NOT_FOUND)
    except lpcos.LpcoError as error:
        return _lpco_page(request, user, number, status_code=error.status, error=str(error),
                          reason=reason)  # fmt: skip
    audited(user, f"lpco.{action}", f"lpco:{lpco_id}", CHANGES[action])
    return RedirectResponse(f"/registries/lpco/{quote(number)}", status_code=303)
