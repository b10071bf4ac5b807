"""HTTP routes of the AEO registry: authorisations, mutual recognition, and the AEO KPIs."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from sqlalchemy import select

from riskhub.access.principal import Principal, require
from riskhub.access.roles import Permission
from riskhub.api_types import ObjectId, SearchText
from riskhub.db.base import utcnow
from riskhub.db.engine import get_engine
from riskhub.db.session import ReadSession, WriteSession
from riskhub.kpis import aeo as aeo_kpis
from riskhub.kpis import service as kpis
from riskhub.registries import recognition
from riskhub.registries.models import AeoAuthorisation
from riskhub.registries.schemas import (
    AuthorisationOut,
    RecognitionEndIn,
    RecognitionIn,
    RecognitionOut,
)

router = APIRouter(prefix="/api/v1/aeo", tags=["aeo"])
Reader = Annotated[Principal, Depends(require(Permission.REGISTRIES_READ))]
Manager = Annotated[Principal, Depends(require(Permission.AEO_MANAGE))]
AggregateReader = Annotated[Principal, Depends(require(Permission.AGGREGATES_READ))]


def _refused(error: recognition.RecognitionError) -> HTTPException:
    return HTTPException(error.status, str(error))


@router.get("/authorisations", response_model=list[AuthorisationOut])
def list_authorisations(
    principal: Reader,
    session: ReadSession,
    trader: SearchText = None,
    on: date | None = Query(None, description="only those valid on this day"),
    limit: int = Query(200, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10**9),
) -> list[AuthorisationOut]:
    """Your Party's AEO authorisations (another Party's are its own business)."""
    a = AeoAuthorisation
    query = select(a).where(a.party == principal.party)
    if trader:
        query = query.where(a.trader == trader)
    if on is not None:
        query = query.where(a.valid_from <= on, (a.valid_to.is_(None)) | (a.valid_to >= on))
    rows = session.scalars(query.order_by(a.trader, a.kind).limit(limit).offset(offset))
    return [AuthorisationOut.model_validate(r) for r in rows]


@router.get("/recognitions", response_model=list[RecognitionOut])
def list_recognitions(
    principal: Reader,
    session: ReadSession,
    on: date | None = Query(None, description="only the agreements in force on this day"),
) -> list[RecognitionOut]:
    """Your Party's mutual recognition agreements: whose AEOs it treats as its own."""
    rows = recognition.list_recognitions(session=session, party=principal.party, on=on)
    return [RecognitionOut.model_validate(r) for r in rows]


@router.post("/recognitions", response_model=RecognitionOut, status_code=status.HTTP_201_CREATED)
def add_recognition(
    body: RecognitionIn, principal: Manager, session: WriteSession
) -> RecognitionOut:
    """Record an agreement: from ``valid_from`` your decisions treat the partner's AEOs as yours."""
    try:
        row = recognition.add_recognition(
            session=session, party=principal.party, partner=body.partner,
            reference=body.reference, valid_from=body.valid_from, valid_to=body.valid_to,
            actor=principal.describe(), now=utcnow(),
        )  # fmt: skip
    except recognition.RecognitionError as error:
        raise _refused(error) from error
    return RecognitionOut.model_validate(row)


@router.post("/recognitions/{recognition_id}/end", response_model=RecognitionOut)
def end_recognition(
    recognition_id: ObjectId, body: RecognitionEndIn, principal: Manager, session: WriteSession
) -> RecognitionOut:
    """End one of your agreements: its last day is ``last_day``; 409 if already ended."""
    try:
        row = recognition.end_recognition(
            session=session, party=principal.party, recognition_id=recognition_id,
            last_day=body.last_day, actor=principal.describe(), now=utcnow(),
        )  # fmt: skip
    except recognition.RecognitionError as error:
        raise _refused(error) from error
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "agreement not found")
    return RecognitionOut.model_validate(row)


@router.get("/kpis")
def aeo_kpi(
    principal: AggregateReader,
    since: date | None = Query(None, description="first day (default: 90 days before until)"),
    until: date | None = Query(None, description="last day, inclusive (default: today)"),
) -> dict[str, Any]:
    """AEOs with priority passage today (target 300) and release times of AEOs against others."""
    try:
        first, last = kpis.period(since, until)
    except ValueError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from error
    parties = kpis.parties_for(party=principal.party, role=principal.role)
    cross = principal.role in kpis.CROSS_PARTY_ROLES
    return {
        **kpis.span(first, last),
        **aeo_kpis.aeo_kpis(
            engine=get_engine(), parties=parties, since=first, until=last, on=date.today(),
            min_group=kpis.MIN_GROUP if cross else 0,
        ),
    }  # fmt: skip
