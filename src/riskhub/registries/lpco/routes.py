"""HTTP routes of the LPCO registry: issuing agencies record and change; officers read."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status

from riskhub.access.principal import Principal, require
from riskhub.access.roles import Permission, Role
from riskhub.api_types import ObjectId, SearchText
from riskhub.db.base import utcnow
from riskhub.db.session import ReadSession, WriteSession
from riskhub.registries.lpco import service
from riskhub.registries.lpco.schemas import DrawdownOut, LpcoIn, LpcoOut, StatusChangeIn

router = APIRouter(prefix="/api/v1/lpcos", tags=["lpco"])
Reader = Annotated[Principal, Depends(require(Permission.REGISTRIES_READ))]
Issuer = Annotated[Principal, Depends(require(Permission.LPCO_ISSUE))]
NOT_FOUND = "LPCO not found"


def _issuer(principal: Principal) -> service.Issuer:
    # An agency officer acts for their own agency only (none recorded: for none).
    agency = (principal.agency or "") if principal.role is Role.AGENCY_OFFICER else None
    return service.Issuer(actor=principal.describe(), agency=agency)


def _agency_seen(principal: Principal) -> str | None:
    """The one agency whose LPCOs an agency officer reads (customs staff read all)."""
    return (principal.agency or "-") if principal.role is Role.AGENCY_OFFICER else None


def _readable(session: Any, principal: Principal, lpco_id: int) -> Any:
    # Another agency's licences, holders and drawdowns are none of an agency officer's business.
    row = service.get_lpco(session=session, party=principal.party, lpco_id=lpco_id)
    seen = _agency_seen(principal)
    return None if row is None or (seen is not None and row.agency != seen) else row


def _refused(error: service.LpcoError) -> HTTPException:
    return HTTPException(error.status, str(error))


@router.post("", response_model=LpcoOut, status_code=status.HTTP_201_CREATED)
def issue_lpco(body: LpcoIn, principal: Issuer, session: WriteSession) -> LpcoOut:
    """Record an LPCO your agency issued; 409 if the number is already in your Party's registry."""
    try:
        row = service.issue_lpco(session=session, party=principal.party, body=body,
                                 issuer=_issuer(principal), now=utcnow())  # fmt: skip
    except service.LpcoError as error:
        raise _refused(error) from error
    return service.describe(row, service.history(session=session, lpco=row))


@router.get("", response_model=list[LpcoOut])
def list_lpcos(
    principal: Reader,
    session: ReadSession,
    agency: SearchText = None,
    holder: SearchText = None,
    lpco_status: Annotated[
        Literal["active", "suspended", "revoked"] | None, Query(alias="status")
    ] = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10**9),
) -> list[LpcoOut]:
    """Your Party's LPCOs, newest first (history: ask for one); an agency sees its own."""
    agency = _agency_seen(principal) or agency
    rows = service.list_lpcos(session=session, party=principal.party, agency=agency,
                              holder=holder, status=lpco_status, limit=limit,
                              offset=offset)  # fmt: skip
    return [service.describe(r) for r in rows]


@router.get("/{lpco_id}", response_model=LpcoOut)
def get_lpco(lpco_id: ObjectId, principal: Reader, session: ReadSession) -> LpcoOut:
    """One of your Party's LPCOs with what is left and its history of status changes."""
    row = _readable(session, principal, lpco_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return service.describe(row, service.history(session=session, lpco=row))


@router.get("/{lpco_id}/drawdowns", response_model=list[DrawdownOut])
def list_drawdowns(
    lpco_id: ObjectId,
    principal: Reader,
    session: ReadSession,
    limit: int = Query(500, ge=1, le=5000),
    offset: int = Query(0, ge=0, le=10**9),
) -> list[DrawdownOut]:
    """What each declaration item drew from the LPCO's allowance, latest first."""
    row = _readable(session, principal, lpco_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    found = service.drawdowns(session=session, lpco=row, limit=limit, offset=offset)
    return [DrawdownOut.model_validate(d) for d in found]


def _change(
    action: str, lpco_id: int, body: StatusChangeIn, principal: Principal, session: WriteSession
) -> LpcoOut:
    try:
        row = service.change_status(
            session=session, party=principal.party, lpco_id=lpco_id, action=action,
            reason=body.reason, issuer=_issuer(principal), now=utcnow(),
        )  # fmt: skip
    except service.LpcoError as error:
        raise _refused(error) from error
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return service.describe(row, service.history(session=session, lpco=row))


@router.post("/{lpco_id}/suspend", response_model=LpcoOut)
def suspend_lpco(
    lpco_id: ObjectId, body: StatusChangeIn, principal: Issuer, session: WriteSession
) -> LpcoOut:
    """Suspend an active LPCO of your agency: declarations citing it fail the check."""
    return _change("suspend", lpco_id, body, principal, session)


@router.post("/{lpco_id}/reinstate", response_model=LpcoOut)
def reinstate_lpco(
    lpco_id: ObjectId, body: StatusChangeIn, principal: Issuer, session: WriteSession
) -> LpcoOut:
    """Lift the suspension of an LPCO of your agency."""
    return _change("reinstate", lpco_id, body, principal, session)


@router.post("/{lpco_id}/revoke", response_model=LpcoOut)
def revoke_lpco(
    lpco_id: ObjectId, body: StatusChangeIn, principal: Issuer, session: WriteSession
) -> LpcoOut:
    """Revoke an LPCO of your agency for good (a revoked LPCO is never reinstated)."""
    return _change("revoke", lpco_id, body, principal, session)
