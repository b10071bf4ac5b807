"""HTTP routes for selectivity decisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status

from riskhub.access.principal import Principal, require
from riskhub.access.roles import Permission, Role
from riskhub.api_types import ObjectId, SearchText
from riskhub.db.session import ReadSession, WriteSession
from riskhub.declarations import service as declarations
from riskhub.selectivity import service
from riskhub.selectivity.pipeline import OfficeRates
from riskhub.selectivity.schemas import DecisionOut, OfficeRatesIn, OfficeRatesOut

router = APIRouter(prefix="/api/v1/declarations", tags=["selectivity"])
offices = APIRouter(prefix="/api/v1/offices", tags=["selectivity"])
queue = APIRouter(prefix="/api/v1/decisions", tags=["selectivity"])
DecisionReader = Annotated[Principal, Depends(require(Permission.DECISIONS_READ))]
Manager = Annotated[Principal, Depends(require(Permission.SELECTIVITY_MANAGE))]
OfficeCode = Annotated[str, Path(pattern=r"^[A-Z]{2}-[A-Z0-9]{2,14}$")]


@router.get("/{declaration_id}/decision", response_model=DecisionOut)
def get_decision(
    declaration_id: ObjectId, principal: DecisionReader, session: ReadSession
) -> DecisionOut:
    """The channel of the declaration's current version and why; 404 if not yours or undecided."""
    found = None
    if principal.role is Role.AGENCY_OFFICER:
        # Another agency sees the decisions that notify it, not the declaration itself.
        found = service.get_decision(
            session=session,
            party=principal.party,
            declaration_id=declaration_id,
            agency=principal.agency or "",
        )
    elif declarations.get_declaration(
        session=session,
        party=principal.party,
        declaration_id=declaration_id,
        offices=principal.offices,
    ):
        found = service.get_decision(
            session=session, party=principal.party, declaration_id=declaration_id
        )
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no decision for this declaration")
    return DecisionOut.of(found)


@queue.get("", response_model=list[DecisionOut])
def list_decisions(
    principal: DecisionReader,
    session: ReadSession,
    channel: Annotated[str | None, Query(pattern="^(green|blue|yellow|red)$")] = None,
    office: SearchText = None,
    limit: int = Query(50, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10**9),
) -> list[DecisionOut]:
    """The queue: your decisions, latest first (officers: their offices; agencies: theirs)."""
    agency = (principal.agency or "") if principal.role is Role.AGENCY_OFFICER else None
    rows = service.list_decisions(
        session=session,
        party=principal.party,
        offices=principal.offices,
        agency=agency,
        channel=channel,
        office=office,
        limit=limit,
        offset=offset,
    )
    return [DecisionOut.of(row) for row in rows]


@offices.get("/selectivity", response_model=list[OfficeRatesOut])
def list_office_rates(principal: Manager, session: ReadSession) -> list[OfficeRatesOut]:
    """Your offices' random-control rates, channel targets and capacity (defaults if unset)."""
    found = service.offices_of(session=session, party=principal.party)
    return [OfficeRatesOut(office=code, **rates.__dict__) for code, rates in found.items()]


@offices.put("/{office}/selectivity", response_model=OfficeRatesOut)
def set_office_rates(
    office: OfficeCode, body: OfficeRatesIn, principal: Manager, session: WriteSession
) -> OfficeRatesOut:
    """Change one of your offices' settings; they apply from the next decision on."""
    rates = OfficeRates(**body.model_dump())
    if not service.set_office_rates(
        session=session, party=principal.party, office=office, rates=rates
    ):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "office not found")
    return OfficeRatesOut(office=office, **body.model_dump())
