"""Pages: governance — Risk Information Forms, and the common profiles the RMWG decides on.

The pages call the same services as ``/api/v1/rifs`` and
``/api/v1/common-profiles`` and answer their refusals the same way: another
Party's draft or a RIF not shared with the reader is not found (404); a step
the state does not allow is a 409 page with the service's sentence; a form
that does not read is shown again with the problem in place (422). Every
change made here enters the Party's audit chain. The risk register and joint
actions live in ``riskhub.web.risks``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from riskhub.access.principal import Principal
from riskhub.access.roles import Permission, allows
from riskhub.api_types import ObjectId
from riskhub.db.base import utcnow
from riskhub.db.engine import get_engine
from riskhub.governance.common_profiles import publication
from riskhub.governance.common_profiles import service as cases
from riskhub.governance.common_profiles.models import CommonProfileCase
from riskhub.governance.common_profiles.routes import refused
from riskhub.governance.common_profiles.schemas import ActivationIn, VoteIn
from riskhub.governance.rifs import partners
from riskhub.governance.rifs import service as rifs
from riskhub.governance.rifs.models import Rif
from riskhub.governance.rifs.schemas import FeedbackIn, RifIn, SharingIn
from riskhub.reference.parties import CEFTA_PARTIES
from riskhub.web.pages import audited, read_form, render, viewer, writing

router = APIRouter(include_in_schema=False)
RifReader = Annotated[Principal, Depends(viewer(Permission.RIFS_READ))]
RifWriter = Annotated[Principal, Depends(viewer(Permission.RIFS_WRITE))]
Reader = Annotated[Principal, Depends(viewer(Permission.GOVERNANCE_READ))]
Rmwg = Annotated[Principal, Depends(viewer(Permission.RMWG_DECIDE))]
Activator = Annotated[Principal, Depends(viewer(Permission.COMMON_PROFILES_ACTIVATE))]
RifNumber = Annotated[str, Path(pattern=r"^[A-Z]{2}-RIF-[0-9]{4}-[0-9]{1,6}$")]
Text = Annotated[str, Form(max_length=5000)]
LATEST = 100  # RIFs listed; the rest are counted
RIF_GONE = "There is no such RIF, or it is not shared with your administration."
CASE_GONE = "There is no such common profile case (another Party's draft is its own)."


# -- Risk Information Forms ----------------------------------------------------------


def _feedback_state(rif: dict[str, Any], party: str) -> str:
    if rif["party"] == party:
        given = len(rif["feedback"])
        return f"{given} feedback received" if given else "no feedback yet"
    if rif["feedback"]:
        return "feedback given"
    return "feedback overdue" if rif["feedback_overdue"] else "feedback owed"


def _rif_list(request: Request, user: Principal, *, error: str | None = None,
              form: dict[str, Any] | None = None, status_code: int = 200) -> Response:  # fmt: skip
    now = utcnow()
    with Session(get_engine()) as session:
        rows = rifs.list_rifs(session=session, party=user.party, limit=LATEST + 1)
        shown = [rifs.view(session=session, party=user.party, row=r, now=now)
                 for r in rows[:LATEST]]  # fmt: skip
        received = partners.received(session=session, party=user.party)
    for rif in shown:
        rif["feedback_state"] = _feedback_state(rif, user.party)
    return render(request, "governance/rifs.html", user, status_code=status_code, rifs=shown,
                  more=len(rows) > LATEST, received=received, error=error,
                  form=form or {}, risk_areas=_RISK_AREAS, today=now.date())  # fmt: skip


_RISK_AREAS = ("financial", "security", "safety_health", "environment", "ipr", "cash")


@router.get("/governance/rifs", response_class=HTMLResponse)
def rif_list(request: Request, user: RifReader) -> Response:
    """RIFs the Party raised or received, newest first, with where their feedback stands."""
    return _rif_list(request, user)


@router.post("/governance/rifs", response_model=None)
def raise_rif(
    request: Request, user: RifWriter,
    title: Annotated[str, Form(max_length=200)] = "",
    risk_area: Annotated[str, Form(max_length=20)] = "",
    description: Text = "", hs_codes: Annotated[str, Form(max_length=1000)] = "",
    recommended_control: Text = "", urgency: Annotated[str, Form(max_length=10)] = "routine",
    valid_until: Annotated[str, Form(max_length=10)] = "",
    distribution: Annotated[str, Form(max_length=10)] = "cefta",
    tlp: Annotated[str, Form(max_length=6)] = "AMBER", share: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Raise a RIF: kept as a draft, or shared at once as distributed."""
    form = {"title": title, "risk_area": risk_area, "description": description,
            "hs_codes": hs_codes.replace(",", " ").split(), "urgency": urgency,
            "recommended_control": recommended_control, "valid_until": valid_until,
            "distribution": distribution, "tlp": tlp, "share": bool(share)}  # fmt: skip
    body = read_form(RifIn, form)
    if isinstance(body, str):
        return _rif_list(request, user, error=body, form=form, status_code=422)
    try:
        with writing() as session:
            row = rifs.raise_rif(session=session, party=user.party, body=body,
                                 user_id=user.user_id, now=utcnow())  # fmt: skip
            number, status = row.number, row.status
    except (rifs.RifError, IntegrityError) as error:
        return _rif_list(request, user, error=refused(error).detail, form=form, status_code=409)
    audited(user, "rif.raise", f"rif:{number}", status)
    return RedirectResponse(f"/governance/rifs/{number}", status_code=303)


def _readable(session: Session, user: Principal, number: str) -> Rif:
    row = rifs.get_by_number(session=session, party=user.party, number=number)
    if row is None:
        raise HTTPException(404, RIF_GONE)
    return row


def _rif_page(request: Request, user: Principal, number: str, *, error: str | None = None,
              status_code: int = 200) -> Response:  # fmt: skip
    with Session(get_engine()) as session:
        rif = rifs.view(session=session, party=user.party, row=_readable(session, user, number),
                        now=utcnow())  # fmt: skip
    mine = rif["party"] == user.party
    own_feedback = None if mine else next(iter(rif["feedback"]), None)
    return render(request, "governance/rif.html", user, status_code=status_code, rif=rif,
                  mine=mine, own_feedback=own_feedback, error=error,
                  may_write=allows(user.role, Permission.RIFS_WRITE))  # fmt: skip


@router.get("/governance/rifs/{number}", response_class=HTMLResponse)
def rif_detail(request: Request, user: RifReader, number: RifNumber) -> Response:
    """One RIF as the Party may read it (others' operators as pseudonyms), with its feedback."""
    return _rif_page(request, user, number)


@router.post("/governance/rifs/{number}/feedback", response_model=None)
def rif_feedback(
    request: Request, user: RifWriter, number: RifNumber,
    control_done: Annotated[str, Form(max_length=5)] = "",
    outcome: Annotated[str, Form(max_length=20)] = "",
    controls: Annotated[str, Form(max_length=12)] = "0",
    detections: Annotated[str, Form(max_length=12)] = "0",
    value_detected_eur: Annotated[str, Form(max_length=20)] = "", comment: Text = "",
) -> Response:  # fmt: skip
    """The Party's mandatory feedback on a RIF it received (giving it again amends it)."""
    body = read_form(FeedbackIn, {"control_done": control_done, "outcome": outcome,
                                  "controls": controls, "detections": detections,
                                  "value_detected_eur": value_detected_eur,
                                  "comment": comment})  # fmt: skip
    if isinstance(body, str):
        return _rif_page(request, user, number, error=body, status_code=422)
    try:
        with writing() as session:
            rif_id = _readable(session, user, number).id
            rifs.give_feedback(session=session, party=user.party, rif_id=rif_id, body=body,
                               user_id=user.user_id, now=utcnow())  # fmt: skip
    except (rifs.RifError, IntegrityError) as error:
        raise refused(error) from error
    audited(user, "rif.feedback", f"rif:{number}", body.outcome)
    return RedirectResponse(f"/governance/rifs/{number}", status_code=303)


@router.post("/governance/rifs/{number}/share", response_model=None)
def rif_share(user: RifWriter, number: RifNumber) -> Response:
    """Share the Party's draft RIF as it is distributed and marked."""
    try:
        with writing() as session:
            row = _readable(session, user, number)
            sharing = SharingIn.model_validate({"distribution": row.distribution, "tlp": row.tlp,
                                                "group": row.sharing_group})  # fmt: skip
            if rifs.share(session=session, party=user.party, rif_id=row.id, sharing=sharing,
                          now=utcnow()) is None:  # fmt: skip
                raise HTTPException(404, RIF_GONE)
    except (rifs.RifError, IntegrityError) as error:
        raise refused(error) from error
    audited(user, "rif.share", f"rif:{number}", "shared")
    return RedirectResponse(f"/governance/rifs/{number}", status_code=303)


@router.post("/governance/rifs/{number}/withdraw", response_model=None)
def rif_withdraw(user: RifWriter, number: RifNumber) -> Response:
    """Withdraw the Party's RIF: still readable with its feedback, no longer to act on."""
    try:
        with writing() as session:
            row = _readable(session, user, number)
            if rifs.withdraw(session=session, party=user.party, rif_id=row.id,
                             now=utcnow()) is None:  # fmt: skip
                raise HTTPException(404, RIF_GONE)
    except (rifs.RifError, IntegrityError) as error:
        raise refused(error) from error
    audited(user, "rif.withdraw", f"rif:{number}", "withdrawn")
    return RedirectResponse(f"/governance/rifs/{number}", status_code=303)


# -- Common profiles -----------------------------------------------------------------


@router.get("/governance/common-profiles", response_class=HTMLResponse)
def case_list(request: Request, user: Reader) -> Response:
    """Every case the Party may see, its votes so far against the quorum, and the S6 share."""
    with Session(get_engine()) as session:
        found = cases.list_cases(session=session, party=user.party)
        rows: list[dict[str, Any]] = [{"case": c, "tally": cases.tally(session=session, case=c),
                 "review_overdue": cases.review_due(c, utcnow().date())}
                for c in found]  # fmt: skip
        adoption = publication.adoption(session=session)
    open_ = [r for r in rows if r["case"].status in cases.OPEN]
    closed = [r for r in rows if r["case"].status not in cases.OPEN]
    return render(request, "governance/cases.html", user, open_cases=open_,
                  closed_cases=closed, adoption=adoption)  # fmt: skip


def _case(session: Session, user: Principal, key: str) -> CommonProfileCase:
    """A case by its id, or the latest version of a code the Party may see."""
    if key.isdigit() and len(key) < 19:
        case = cases.get_case(session=session, party=user.party, case_id=int(key))
    else:
        versions = [c for c in cases.list_cases(session=session, party=user.party)
                    if c.code == key]  # fmt: skip
        case = versions[-1] if versions else None
    if case is None:
        raise HTTPException(404, CASE_GONE)
    return case


def _case_page(request: Request, user: Principal, key: str, *, error: str | None = None,
               form: dict[str, str] | None = None, status_code: int = 200) -> Response:  # fmt: skip
    with Session(get_engine()) as session:
        case = _case(session, user, key)
        tally = cases.tally(session=session, case=case)
        votes = cases.votes(session=session, case=case)
        trail = cases.events(session=session, case=case)
        decisions = publication.local_decisions(session=session, code=case.code)
        share = (publication.activation_share(session=session, case=case)
                 if case.status == "published" else None)  # fmt: skip
    voted = next((v for v in votes if v.party == user.party), None)
    member = user.party in CEFTA_PARTIES and allows(user.role, Permission.RMWG_DECIDE)
    return render(request, "governance/case.html", user, status_code=status_code, case=case,
                  tally=tally, votes=votes, trail=trail, decisions=decisions, share=share,
                  voted=voted, member=member, error=error, form=form or {},
                  mine=next((d for d in decisions if d.party == user.party), None),
                  quorum=case.quorum or cases.quorum())  # fmt: skip


@router.get("/governance/common-profiles/{key}", response_class=HTMLResponse)
def case_detail(
    request: Request, user: Reader, key: Annotated[str, Path(max_length=40)]
) -> Response:
    """One case (by id, or a code's latest version): the profile, votes, decisions, trail."""
    return _case_page(request, user, key)


@router.post("/governance/common-profiles/{case_id}/vote", response_model=None)
def vote(
    request: Request, user: Rmwg, case_id: ObjectId,
    choice: Annotated[str, Form(max_length=10)] = "",
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:  # fmt: skip
    """The Party's one vote on a proposed case; a rejection says why."""
    body = read_form(VoteIn, {"vote": choice, "comment": comment})
    if isinstance(body, str):
        form = {"choice": choice, "comment": comment}
        return _case_page(request, user, str(case_id), error=body.removeprefix("vote: "),
                          form=form, status_code=422)  # fmt: skip
    try:
        with writing() as session:
            row = cases.vote(session=session, party=user.party, case_id=case_id,
                             choice=body.vote, comment=body.comment, user_id=user.user_id,
                             now=utcnow())  # fmt: skip
    except (ValueError, IntegrityError) as error:
        raise refused(error) from error
    if row is None:
        raise HTTPException(404, CASE_GONE)
    audited(user, "common_profile.vote", f"common_profile_case:{case_id}", body.vote)
    return RedirectResponse(f"/governance/common-profiles/{case_id}", status_code=303)


def _step(user: Principal, case_id: int, step: Any, name: str) -> Response:
    try:
        with writing() as session:
            case = step(session=session, party=user.party, case_id=case_id,
                        user_id=user.user_id, now=utcnow())  # fmt: skip
    except (ValueError, IntegrityError) as error:
        raise refused(error) from error
    if case is None:
        raise HTTPException(404, CASE_GONE)
    audited(user, f"common_profile.{name}", f"common_profile_case:{case_id}", case.status)
    return RedirectResponse(f"/governance/common-profiles/{case_id}", status_code=303)


@router.post("/governance/common-profiles/{case_id}/adopt", response_model=None)
def adopt(user: Rmwg, case_id: ObjectId) -> Response:
    """Declare the proposal adopted (refused, saying why, until the approvals reach the quorum)."""
    return _step(user, case_id, cases.adopt, "adopt")


@router.post("/governance/common-profiles/{case_id}/reject", response_model=None)
def reject(user: Rmwg, case_id: ObjectId) -> Response:
    """Close the proposal as rejected (only once the quorum is out of reach)."""
    return _step(user, case_id, cases.reject, "reject")


@router.post("/governance/common-profiles/{case_id}/publish", response_model=None)
def publish(user: Rmwg, case_id: ObjectId) -> Response:
    """Publish the adopted profile here and to the partner hubs of the Parties in scope."""
    return _step(user, case_id, publication.publish, "publish")


@router.post("/governance/common-profiles/{case_id}/activation", response_model=None)
def activation(
    request: Request, user: Activator, case_id: ObjectId,
    decision: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:  # fmt: skip
    """The Party uses the published profile at its borders, or records why not."""
    if decision not in ("activate", "decline"):
        return _case_page(request, user, str(case_id), error="choose to activate or decline",
                          status_code=422)  # fmt: skip
    body = read_form(ActivationIn, {"active": decision == "activate", "reason": reason})
    if isinstance(body, str):
        form = {"decision": decision, "reason": reason}
        return _case_page(request, user, str(case_id), error=body, form=form,
                          status_code=422)  # fmt: skip
    try:
        with writing() as session:
            row = publication.decide_locally(session=session, party=user.party, case_id=case_id,
                                             active=body.active, reason=body.reason,
                                             user_id=user.user_id, now=utcnow())  # fmt: skip
    except (ValueError, IntegrityError) as error:
        raise refused(error) from error
    if row is None:
        raise HTTPException(404, CASE_GONE)
    audited(user, "common_profile.activation", f"common_profile_case:{case_id}", decision)
    return RedirectResponse(f"/governance/common-profiles/{case_id}", status_code=303)
