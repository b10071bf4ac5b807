"""HTTP routes of the risk register: risks, heat map, candidate profiles, reviews due."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from sqlalchemy.orm import Session

from riskhub.access.principal import Principal, require
from riskhub.access.roles import Permission
from riskhub.api_types import ObjectId, unprocessable
from riskhub.db.engine import get_engine
from riskhub.db.session import ReadSession, WriteSession
from riskhub.governance.risks import candidates, service
from riskhub.governance.risks.models import Risk
from riskhub.governance.risks.schemas import (
    CandidateIn,
    CandidateOut,
    DueOut,
    HeatmapOut,
    RiskIn,
    RiskOut,
    RiskPatch,
    RiskSummaryOut,
)

router = APIRouter(prefix="/api/v1/risks", tags=["risk register"])
Reader = Annotated[Principal, Depends(require(Permission.GOVERNANCE_READ))]
Writer = Annotated[Principal, Depends(require(Permission.RISKS_WRITE))]
ProfileWriter = Annotated[Principal, Depends(require(Permission.PROFILES_WRITE))]
ProfileReader = Annotated[Principal, Depends(require(Permission.PROFILES_READ))]
NOT_FOUND = "risk not found"


def author_of(principal: Principal) -> service.Author:
    return service.Author(principal.user_id, principal.party, principal.role, principal.name)


def _unprocessable(problems: list[tuple[str, str]], where: str = "body") -> HTTPException:
    return unprocessable(([where, name], why) for name, why in problems)


def _out(
    session: Session, principal: Principal, row: Risk, *, with_performance: bool = False
) -> RiskOut:
    return RiskOut(
        **service.summary_of(row),
        description=row.description,
        indicators=row.indicators,
        created_at=row.created_at,
        history=[
            {
                "version": c.version,
                "action": c.action,
                "changes": json.loads(c.changes),
                "actor": c.actor,
                "changed_at": c.changed_at,
            }
            for c in service.history(session=session, risk=row)
        ],
        candidates=[
            {"profile_id": c.profile_id, "profile_code": c.profile_code, "created_at": c.created_at}
            for c in service.candidates_of(session=session, party=principal.party, risk=row)
        ],
        performance=service.performance(
            engine=get_engine(), risk=row, party=principal.party, role=principal.role
        )
        if with_performance
        else [],
    )


@router.get("", response_model=list[RiskSummaryOut])
def list_risks(
    principal: Reader,
    session: ReadSession,
    state: Annotated[Literal["open", "closed"] | None, Query(alias="status")] = None,
    overdue: bool | None = Query(None, description="only risks whose review is (not) overdue"),
) -> list[dict[str, Any]]:
    """Your Party's register and the CEFTA-wide one (the Secretariat: the CEFTA-wide one)."""
    rows = service.list_risks(session=session, party=principal.party, status=state, overdue=overdue)
    return [service.summary_of(row) for row in rows]


@router.post("", response_model=RiskOut, status_code=status.HTTP_201_CREATED)
def add_risk(body: RiskIn, principal: Writer, session: WriteSession) -> RiskOut:
    """Record a risk: an analyst in their Party's register, the RMWG in the CEFTA-wide one."""
    try:
        row = service.add_risk(session=session, author=author_of(principal), data=body)
    except service.RegisterInvalid as error:
        raise _unprocessable(error.problems) from None
    except service.RegisterForbidden as error:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from None
    except service.RegisterConflict as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
    return _out(session, principal, row)


@router.get("/heatmap", response_model=HeatmapOut)
def heatmap(principal: Reader, session: ReadSession) -> dict[str, Any]:
    """Open risks counted by likelihood x impact; RMWG and Secretariat: per Party as counts."""
    return service.heatmap(session=session, party=principal.party, role=principal.role)


@router.get("/due-for-review", response_model=DueOut)
def due_for_review(
    principal: ProfileReader,
    session: ReadSession,
    days: int = Query(candidates.REVIEW_DAYS, ge=1, le=3650, description="the review period"),
) -> dict[str, Any]:
    """Your Party's profiles and models due for review, each with the reasons."""
    return candidates.due_for_review(session=session, party=principal.party, days=days)


@router.get("/{risk_id}", response_model=RiskOut)
def get_risk(risk_id: ObjectId, principal: Reader, session: ReadSession) -> RiskOut:
    """One risk with its history and how its linked profiles perform (KPIs, last 90 days)."""
    row = service.get_risk(session=session, party=principal.party, risk_id=risk_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return _out(session, principal, row, with_performance=True)


@router.patch("/{risk_id}", response_model=RiskOut)
def change_risk(
    risk_id: ObjectId, body: RiskPatch, principal: Writer, session: WriteSession
) -> RiskOut:
    """Change, close or reopen a risk of your register; every change enters its history."""
    try:
        row = service.change_risk(
            session=session, author=author_of(principal), risk_id=risk_id, patch=body
        )
    except service.RegisterInvalid as error:
        raise _unprocessable(error.problems) from None
    except service.RegisterForbidden as error:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from None
    except service.RegisterConflict as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return _out(session, principal, row)


@router.post(
    "/{risk_id}/candidate", response_model=CandidateOut, status_code=status.HTTP_201_CREATED
)
def generate_candidate(
    risk_id: ObjectId, body: CandidateIn, principal: ProfileWriter, session: WriteSession
) -> CandidateOut:
    """Generate a draft profile in your Party from the risk's indicators, to backtest."""
    try:
        made = candidates.generate(
            session=session, author=author_of(principal), risk_id=risk_id, data=body
        )
    except candidates.CandidateRefused as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
    except candidates.CandidateInvalid as error:
        raise _unprocessable([("document", p) for p in error.problems]) from None
    if made is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return CandidateOut(
        risk_id=made.risk.id, profile_id=made.profile.id, code=made.profile.code,
        status=made.profile.status, document=made.document,
    )  # fmt: skip
