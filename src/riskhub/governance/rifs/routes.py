"""HTTP routes of Risk Information Forms: raise, read, share, withdraw, feedback, to a profile."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from sqlalchemy.exc import IntegrityError

from riskhub.access.principal import Principal, require
from riskhub.access.roles import Permission
from riskhub.api_types import ObjectId
from riskhub.db.base import utcnow
from riskhub.db.session import ReadSession, WriteSession
from riskhub.governance.common_profiles import from_rif
from riskhub.governance.common_profiles.routes import case_out, refused
from riskhub.governance.common_profiles.schemas import CaseOut
from riskhub.governance.rifs import partners, service
from riskhub.governance.rifs.schemas import (
    FeedbackIn,
    FeedbackOut,
    ReceivedRifOut,
    RifIn,
    RifOut,
    SharingIn,
)

router = APIRouter(prefix="/api/v1/rifs", tags=["rifs"])
Reader = Annotated[Principal, Depends(require(Permission.RIFS_READ))]
Writer = Annotated[Principal, Depends(require(Permission.RIFS_WRITE))]
NOT_FOUND = HTTPException(status.HTTP_404_NOT_FOUND, "no such RIF")


def _out(session: Any, principal: Principal, row: Any) -> dict[str, Any]:
    return service.view(session=session, party=principal.party, row=row, now=utcnow())


@router.get("", response_model=list[RifOut])
def list_rifs(
    principal: Reader, session: ReadSession, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> list[dict[str, Any]]:
    """RIFs your administration raised or received, newest first; overdue feedback flagged."""
    rows = service.list_rifs(session=session, party=principal.party, limit=limit)
    return [_out(session, principal, r) for r in rows]


@router.post("", response_model=RifOut, status_code=201)
def raise_rif(body: RifIn, principal: Writer, session: WriteSession) -> dict[str, Any]:
    """Raise a RIF (shared at once with ``share: true``, else kept as a draft)."""
    try:
        row = service.raise_rif(
            session=session, party=principal.party, body=body, user_id=principal.user_id,
            now=utcnow(),
        )  # fmt: skip
    except (service.RifError, IntegrityError) as error:
        raise refused(error) from error
    return _out(session, principal, row)


@router.get("/received", response_model=list[ReceivedRifOut])
def list_received(principal: Reader, session: ReadSession) -> list[dict[str, Any]]:
    """RIFs partner hubs sent your Party, newest first, with when you answered each."""
    return partners.received(session=session, party=principal.party)


@router.put("/received/{number}/feedback", response_model=FeedbackOut)
def feedback_on_received(
    number: Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")],
    body: FeedbackIn, principal: Writer, session: WriteSession,
) -> Any:  # fmt: skip
    """Send your feedback on a RIF a partner hub sent back to the Party that raised it."""
    sent = partners.feedback_on_received(
        session=session, party=principal.party, number=number, body=body, now=utcnow()
    )
    if sent is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such RIF received")
    return sent


@router.get("/{rif_id}", response_model=RifOut)
def get_rif(rif_id: ObjectId, principal: Reader, session: ReadSession) -> dict[str, Any]:
    """One RIF as your administration may read it (others' operators are pseudonyms)."""
    row = service.get_rif(session=session, party=principal.party, rif_id=rif_id)
    if row is None:
        raise NOT_FOUND
    return _out(session, principal, row)


@router.post("/{rif_id}/share", response_model=RifOut)
def share(
    rif_id: ObjectId, body: SharingIn, principal: Writer, session: WriteSession
) -> dict[str, Any]:
    """Share your RIF as distributed; refused once it expired or was withdrawn."""
    try:
        row = service.share(
            session=session, party=principal.party, rif_id=rif_id, sharing=body, now=utcnow()
        )
    except (service.RifError, IntegrityError) as error:
        raise refused(error) from error
    if row is None:
        raise NOT_FOUND
    return _out(session, principal, row)


@router.post("/{rif_id}/withdraw", response_model=RifOut)
def withdraw(rif_id: ObjectId, principal: Writer, session: WriteSession) -> dict[str, Any]:
    """Withdraw your RIF: still readable with its feedback, no longer to act on."""
    try:
        row = service.withdraw(session=session, party=principal.party, rif_id=rif_id, now=utcnow())
    except (service.RifError, IntegrityError) as error:
        raise refused(error) from error
    if row is None:
        raise NOT_FOUND
    return _out(session, principal, row)


@router.put("/{rif_id}/feedback", response_model=FeedbackOut)
def give_feedback(
    rif_id: ObjectId, body: FeedbackIn, principal: Writer, session: WriteSession
) -> Any:
    """Your administration's feedback on a RIF it received (giving it again amends it)."""
    try:
        row = service.give_feedback(
            session=session, party=principal.party, rif_id=rif_id, body=body,
            user_id=principal.user_id, now=utcnow(),
        )  # fmt: skip
    except (service.RifError, IntegrityError) as error:
        raise refused(error) from error
    if row is None:
        raise NOT_FOUND
    return row


@router.post("/{rif_id}/common-profile", response_model=CaseOut, status_code=201)
def to_common_profile(rif_id: ObjectId, principal: Writer, session: WriteSession) -> Any:
    """Turn a RIF you can read into a draft common profile, to refine and propose."""
    try:
        case = from_rif.draft_from_rif(
            session=session, party=principal.party, rif_id=rif_id, user_id=principal.user_id,
            now=utcnow(),
        )  # fmt: skip
    except (ValueError, IntegrityError) as error:
        raise refused(error) from error
    if case is None:
        raise NOT_FOUND
    return case_out(session, case)
