"""HTTP routes of the common profiles' lifecycle: draft, propose, vote, adopt, publish, activate."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, status
from sqlalchemy.exc import IntegrityError

from riskhub.access.principal import Principal, require
from riskhub.access.roles import Permission
from riskhub.api_types import ObjectId
from riskhub.db.base import utcnow
from riskhub.db.engine import get_engine
from riskhub.db.session import ReadSession, WriteSession
from riskhub.governance.common_profiles import publication, received, service
from riskhub.governance.common_profiles.models import CommonProfileCase
from riskhub.governance.common_profiles.schemas import (
    ActivationIn,
    AdoptionOut,
    CaseDetailOut,
    CaseOut,
    DraftIn,
    FeedbackRow,
    LocalDecisionOut,
    ReceivedOut,
    ReviewIn,
    VoteIn,
    VoteOut,
)
from riskhub.kpis import service as kpis

router = APIRouter(prefix="/api/v1/common-profiles", tags=["common profiles"])
Reader = Annotated[Principal, Depends(require(Permission.GOVERNANCE_READ))]
Drafter = Annotated[Principal, Depends(require(Permission.COMMON_PROFILES_DRAFT))]
Rmwg = Annotated[Principal, Depends(require(Permission.RMWG_DECIDE))]
Activator = Annotated[Principal, Depends(require(Permission.COMMON_PROFILES_ACTIVATE))]
NOT_FOUND = HTTPException(status.HTTP_404_NOT_FOUND, "no such common profile case")


def refused(error: Exception) -> HTTPException:
    """A step the state does not allow (409), or a document that does not read (422)."""
    if isinstance(error, IntegrityError):
        # Two members did the same at once (a Party's vote, a code's draft): one of them won.
        return HTTPException(
            status.HTTP_409_CONFLICT, "someone else did this at the same moment; reload and see"
        )
    if isinstance(error, service.DocumentProblems):
        detail = [
            {"loc": ["body", "document"], "msg": str(p), "type": "profile_document"}
            for p in error.problems
        ]
        return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)
    return HTTPException(status.HTTP_409_CONFLICT, str(error))


def case_out(session: Any, case: CommonProfileCase) -> dict[str, Any]:
    """A case with its tally, adoption and activation shares."""
    return {
        **{c.name: getattr(case, c.name) for c in CommonProfileCase.__table__.columns},
        "tally": service.tally(session=session, case=case),
        "review_overdue": service.review_due(case, utcnow().date()),
        "activation_share": publication.activation_share(session=session, case=case),
    }


def _found(session: Any, principal: Principal, case_id: int) -> CommonProfileCase:
    case = service.get_case(session=session, party=principal.party, case_id=case_id)
    if case is None:
        raise NOT_FOUND
    return case


@router.get("", response_model=list[CaseOut])
def list_cases(
    principal: Reader, session: ReadSession, status: service.Status | None = None
) -> list[Any]:
    """Every common profile case (your own drafts included), by code and version."""
    rows = service.list_cases(session=session, party=principal.party, status=status)
    return [case_out(session, c) for c in rows]


@router.post("", response_model=CaseOut, status_code=201)
def draft(body: DraftIn, principal: Drafter, session: WriteSession) -> Any:
    """Draft a common profile (a new code, or the next version of a published one)."""
    try:
        case = service.draft(
            session=session, party=principal.party, text=body.document,
            user_id=principal.user_id, now=utcnow(),
        )  # fmt: skip
    except (ValueError, IntegrityError) as error:
        raise refused(error) from error
    return case_out(session, case)


@router.get("/adoption", response_model=AdoptionOut)
def adoption(principal: Reader, session: ReadSession) -> Any:
    """The S6 KPI: the share of CEFTA Parties that approved every common profile in force."""
    published = service.list_cases(session=session, party=principal.party, status="published")
    return {
        **publication.adoption(session=session),
        "profiles": [case_out(session, c) for c in published],
    }


@router.get("/received", response_model=list[ReceivedOut])
def list_received(principal: Reader, session: ReadSession) -> Any:
    """Common profiles the RMWG's hub sent to your Party over the exchange, and your decision."""
    return received.received(session=session, party=principal.party)


@router.put("/received/{code}/activation", response_model=LocalDecisionOut)
def decide_on_received(
    code: Annotated[str, Path(pattern=r"^[A-Z0-9][A-Z0-9._-]{2,39}$")],
    body: ActivationIn, principal: Activator, session: WriteSession,
) -> Any:  # fmt: skip
    """Use a common profile received over the exchange at your borders, or record why not."""
    try:
        row = received.decide_on_received(
            session=session, party=principal.party, code=code, active=body.active,
            reason=body.reason, user_id=principal.user_id, now=utcnow(),
        )  # fmt: skip
    except (ValueError, IntegrityError) as error:
        raise refused(error) from error
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such common profile received")
    return LocalDecisionOut.model_validate(row, from_attributes=True)


@router.get("/{case_id}", response_model=CaseDetailOut)
def get_case(case_id: ObjectId, principal: Reader, session: ReadSession) -> Any:
    """One case: the document, each Party's vote and local decision, and every step taken."""
    case = _found(session, principal, case_id)
    return {
        **case_out(session, case),
        "votes": [VoteOut.model_validate(v) for v in service.votes(session=session, case=case)],
        "local_decisions": [
            LocalDecisionOut.model_validate(d, from_attributes=True)
            for d in publication.local_decisions(session=session, code=case.code)
        ],
        "events": service.events(session=session, case=case),
    }


@router.put("/{case_id}", response_model=CaseOut)
def redraft(case_id: ObjectId, body: DraftIn, principal: Drafter, session: WriteSession) -> Any:
    """Replace your draft's document (same code) before proposing it."""
    try:
        case = service.redraft(
            session=session, party=principal.party, case_id=case_id, text=body.document,
            user_id=principal.user_id, now=utcnow(),
        )  # fmt: skip
    except (ValueError, IntegrityError) as error:
        raise refused(error) from error
    if case is None:
        raise NOT_FOUND
    return case_out(session, case)


@router.get("/{case_id}/feedback", response_model=list[FeedbackRow])
def feedback(
    case_id: ObjectId, principal: Reader, session: ReadSession,
    since: date | None = None, until: date | None = None,
) -> Any:  # fmt: skip
    """How the profile did at the Parties using it, from their inspection results.

    As for every KPI: your own Party's figures; the RMWG and the Secretariat see
    every Party's, except those resting on fewer than ``MIN_GROUP`` controls.
    """
    case = _found(session, principal, case_id)
    try:
        start, end = kpis.period(since, until)
    except (ValueError, IntegrityError) as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from error
    seen = set(kpis.parties_for(party=principal.party, role=principal.role))
    rows = publication.feedback(
        engine=get_engine(), session=session, case=case, since=start, until=end, parties=seen
    )
    if principal.role in kpis.CROSS_PARTY_ROLES:
        rows = [r for r in rows if r["inspected"] >= kpis.MIN_GROUP]
    return rows


@router.post("/{case_id}/propose", response_model=CaseOut)
def propose(case_id: ObjectId, principal: Drafter, session: WriteSession) -> Any:
    """Put your administration's draft to the RMWG's vote."""
    return _step(service.propose, session, principal, case_id)


@router.post("/{case_id}/votes", response_model=VoteOut, status_code=201)
def vote(case_id: ObjectId, body: VoteIn, principal: Rmwg, session: WriteSession) -> Any:
    """Your Party's one vote on a proposed common profile."""
    try:
        row = service.vote(
            session=session, party=principal.party, case_id=case_id, choice=body.vote,
            comment=body.comment, user_id=principal.user_id, now=utcnow(),
        )  # fmt: skip
    except (ValueError, IntegrityError) as error:
        raise refused(error) from error
    if row is None:
        raise NOT_FOUND
    return row


@router.post("/{case_id}/adopt", response_model=CaseOut)
def adopt(case_id: ObjectId, principal: Rmwg, session: WriteSession) -> Any:
    """Declare the proposal adopted (refused until the approvals reach the quorum)."""
    return _step(service.adopt, session, principal, case_id)


@router.post("/{case_id}/reject", response_model=CaseOut)
def reject(case_id: ObjectId, principal: Rmwg, session: WriteSession) -> Any:
    """Close the proposal as rejected (only once the quorum is out of reach)."""
    return _step(service.reject, session, principal, case_id)


@router.post("/{case_id}/publish", response_model=CaseOut)
def publish(case_id: ObjectId, principal: Rmwg, session: WriteSession) -> Any:
    """Publish the adopted profile here and to the partner hubs of the Parties in scope."""
    return _step(publication.publish, session, principal, case_id)


@router.put("/{case_id}/activation", response_model=LocalDecisionOut)
def decide_locally(
    case_id: ObjectId, body: ActivationIn, principal: Activator, session: WriteSession
) -> Any:
    """Use the published profile at your borders, or record why not."""
    try:
        row = publication.decide_locally(
            session=session, party=principal.party, case_id=case_id, active=body.active,
            reason=body.reason, user_id=principal.user_id, now=utcnow(),
        )  # fmt: skip
    except (ValueError, IntegrityError) as error:
        raise refused(error) from error
    if row is None:
        raise NOT_FOUND
    return LocalDecisionOut.model_validate(row, from_attributes=True)


@router.post("/{case_id}/review", response_model=CaseOut)
def review(case_id: ObjectId, body: ReviewIn, principal: Rmwg, session: WriteSession) -> Any:
    """The periodic review: keep (next review date), revise (a new draft), or withdraw."""
    case = service.get_case(
        session=session, party=principal.party, case_id=case_id, for_update=True
    )
    if case is None:
        raise NOT_FOUND
    now, party, user = utcnow(), principal.party, principal.user_id
    try:
        if body.outcome == "keep":
            case = service.keep(session=session, party=party, case=case, comment=body.comment,
                                next_review=body.next_review, user_id=user, now=now)  # fmt: skip
        elif body.outcome == "revise":
            case = publication.revise(session=session, party=party, case=case,
                                      text=body.document or "", comment=body.comment,
                                      user_id=user, now=now)  # fmt: skip
        else:
            case = publication.withdraw(session=session, party=party, case=case,
                                        comment=body.comment, user_id=user, now=now)  # fmt: skip
    except (ValueError, IntegrityError) as error:
        raise refused(error) from error
    return case_out(session, case)


def _step(step: Any, session: Any, principal: Principal, case_id: int) -> Any:
    try:
        case = step(session=session, party=principal.party, case_id=case_id,
                    user_id=principal.user_id, now=utcnow())  # fmt: skip
    except (ValueError, IntegrityError) as error:
        raise refused(error) from error
    if case is None:
        raise NOT_FOUND
    return case_out(session, case)
