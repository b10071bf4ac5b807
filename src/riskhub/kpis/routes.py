"""HTTP routes for KPIs, the profile effectiveness review and pilot comparisons."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status

from riskhub.access.principal import Principal, require
from riskhub.access.roles import Permission
from riskhub.db.engine import get_engine
from riskhub.kpis import service

router = APIRouter(prefix="/api/v1/kpis", tags=["kpis"])
AggregateReader = Annotated[Principal, Depends(require(Permission.AGGREGATES_READ))]
ProfileReader = Annotated[Principal, Depends(require(Permission.PROFILES_READ))]
Since = Annotated[date | None, Query(description="first day (default: 90 days before until)")]
Until = Annotated[date | None, Query(description="last day, inclusive (default: today)")]
OFFICE_LIST = r"^[A-Z]{2}-[A-Z0-9]{2,14}(,[A-Z]{2}-[A-Z0-9]{2,14})*$"  # e.g. RS-PRE,RS-BAT


def _period(since: date | None, until: date | None) -> tuple[datetime, datetime]:
    try:
        return service.period(since, until)
    except ValueError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from error


@router.get("")
def kpis(
    principal: AggregateReader,
    since: Since = None,
    until: Until = None,
    by: Literal["party", "office", "channel", "profile"] | None = None,
) -> dict[str, Any]:
    """The KPIs of your Party (Secretariat and RMWG: every Party), numbers only."""
    first, last = _period(since, until)
    parties = service.parties_for(party=principal.party, role=principal.role)
    rows = service.kpi_table(
        engine=get_engine(), parties=parties, since=first, until=last, by=by,
        aggregates_only=principal.role in service.CROSS_PARTY_ROLES,
    )  # fmt: skip
    return {"parties": parties, **service.span(first, last), "by": by, "rows": rows}


@router.get("/profiles")
def profile_review(
    principal: ProfileReader,
    since: Since = None,
    until: Until = None,
    quiet_days: int = Query(30, ge=1, le=3650, description="flag profiles silent this long"),
) -> dict[str, Any]:
    """Each active profile's matches, hits, hit rate against random, revenue, cost and flags."""
    first, last = _period(since, until)
    parties = service.parties_for(party=principal.party, role=principal.role)
    rows = service.profile_review(
        engine=get_engine(), parties=parties, since=first, until=last, quiet_days=quiet_days
    )
    return {"parties": parties, **service.span(first, last), "profiles": rows}


@router.get("/pilot")
def pilot(
    principal: AggregateReader,
    offices: Annotated[str, Query(pattern=OFFICE_LIST, description="pilot offices")],
    start: Annotated[date, Query(description="first day of the pilot")],
    control: Annotated[str | None, Query(pattern=OFFICE_LIST)] = None,
    since: Since = None,
    until: Until = None,
) -> dict[str, Any]:
    """Pilot offices before/after ``start`` against control offices (difference-in-differences)."""
    first, last = _period(since, until)
    parties = service.parties_for(party=principal.party, role=principal.role)
    try:
        return service.pilot_comparison(
            engine=get_engine(), parties=parties, since=first, until=last,
            offices=offices.split(","), control=control.split(",") if control else [],
            start=datetime.combine(start, time.min),
        )  # fmt: skip
    except ValueError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from error
