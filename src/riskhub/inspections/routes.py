"""HTTP routes for checklists, inspection results, release times and profile feedback."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Response, status

from riskhub.access.principal import Principal, require
from riskhub.access.roles import Permission, Role
from riskhub.api_types import ObjectId, unprocessable
from riskhub.db.session import ReadSession, WriteSession
from riskhub.declarations.models import Declaration
from riskhub.inspections import checklists, service, times
from riskhub.inspections.models import Checklist, ReleaseTime
from riskhub.inspections.schemas import (
    TIMESTAMPS,
    ChecklistIn,
    ChecklistOut,
    ChecklistVersionOut,
    FeedbackOut,
    FormOut,
    InspectionIn,
    InspectionOut,
    ReleaseTimesIn,
    ReleaseTimesOut,
)
from riskhub.profiles import service as profiles

router = APIRouter(prefix="/api/v1/declarations", tags=["inspections"])
protocols = APIRouter(prefix="/api/v1/checklists", tags=["inspections"])
feedback = APIRouter(prefix="/api/v1/profiles", tags=["inspections"])
Inspector = Annotated[Principal, Depends(require(Permission.INSPECTIONS_RECORD))]
Reader = Annotated[Principal, Depends(require(Permission.INSPECTIONS_READ))]
ChecklistReader = Annotated[Principal, Depends(require(Permission.CHECKLISTS_READ))]
Writer = Annotated[Principal, Depends(require(Permission.PROFILES_WRITE))]
Submitter = Annotated[Principal, Depends(require(Permission.DECLARATIONS_SUBMIT))]
ProfileReader = Annotated[Principal, Depends(require(Permission.PROFILES_READ))]
ChecklistCode = Annotated[str, Path(pattern=r"^[A-Z0-9][A-Z0-9._-]{2,39}$")]


def recorder_of(principal: Principal) -> service.Recorder:
    """Customs unless the caller is another agency's officer; officers act at their offices."""
    if principal.role is Role.AGENCY_OFFICER:
        return service.Recorder(
            principal.user_id, principal.agency or "", principal.offices, other_agency=True
        )
    return service.Recorder(principal.user_id, "customs", principal.offices)


def _unprocessable(problems: list[tuple[str, str]]) -> HTTPException:
    return unprocessable(
        (["body", *(int(p) if p.isdigit() else p for p in name.split("."))], why)
        for name, why in problems
    )


@router.post(
    "/{declaration_id}/inspections",
    response_model=InspectionOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "Already recorded under this reference, unchanged."},
               409: {"description": "The reference is used by a different result."}},
)  # fmt: skip
def record_inspection(
    declaration_id: ObjectId,
    body: InspectionIn,
    principal: Inspector,
    session: WriteSession,
    response: Response,
) -> InspectionOut:
    """Record what a control found; sending it again with the same reference is safe."""
    [done] = service.record_many(
        session=session,
        party=principal.party,
        records=[(declaration_id, body)],
        recorder=recorder_of(principal),
    )
    if done.status == "not_found":
        raise HTTPException(status.HTTP_404_NOT_FOUND, "declaration not found")
    if done.status == "rejected":
        if done.problems[0][0] == "reference":
            raise HTTPException(status.HTTP_409_CONFLICT, done.problems[0][1])
        raise _unprocessable(done.problems)
    assert done.inspection is not None
    if done.status == "existing":
        response.status_code = status.HTTP_200_OK
    return InspectionOut.of(done.inspection, done.shared_on)


@router.get("/{declaration_id}/inspections", response_model=list[InspectionOut])
def list_inspections(
    declaration_id: ObjectId, principal: Reader, session: ReadSession
) -> list[InspectionOut]:
    """The controls of one declaration (another agency: the ones it took part in)."""
    rows = service.inspections_of(
        session=session,
        party=principal.party,
        declaration_id=declaration_id,
        recorder=recorder_of(principal),
    )
    if rows is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "declaration not found")
    return [InspectionOut.of(row) for row in rows]


@router.get("/{declaration_id}/checklist", response_model=FormOut)
def inspection_form(
    declaration_id: ObjectId, principal: Inspector, session: ReadSession
) -> FormOut:
    """The checklists to work through when controlling this declaration."""
    decision = _reach(session, principal, declaration_id).decision
    reasons: list[dict[str, Any]] = json.loads(decision.reasons) if decision else []
    selected = [(str(r["owner"]), str(r["profile"])) for r in reasons if r.get("selected")]
    rows = checklists.applicable(
        session=session,
        party=principal.party,
        channel=decision.channel if decision else None,
        selected=selected,
    )
    return FormOut(
        declaration_id=declaration_id,
        channel=decision.channel if decision else None,
        checklists=[ChecklistOut.of(row) for row in rows],
        profile_points=json.loads(decision.checklist) if decision else [],
    )


@router.put("/{declaration_id}/release-times", response_model=ReleaseTimesOut)
def put_release_times(
    declaration_id: ObjectId, body: ReleaseTimesIn, principal: Submitter, session: WriteSession
) -> ReleaseTimesOut:
    """Add or correct border timestamps; those left out keep their value."""
    row, problems = times.save(
        session=session,
        party=principal.party,
        declaration_id=declaration_id,
        changes=body.model_dump(),
        offices=principal.offices,
    )
    if problems:
        raise _unprocessable(problems)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "declaration not found")
    declaration = session.get(Declaration, declaration_id)
    assert declaration is not None  # times.save found it
    return _times_out(declaration, row)


@router.get("/{declaration_id}/release-times", response_model=ReleaseTimesOut)
def get_release_times(
    declaration_id: ObjectId, principal: Reader, session: ReadSession
) -> ReleaseTimesOut:
    """The declaration's border timestamps and its TRS intervals in hours."""
    declaration = _reach(session, principal, declaration_id).declaration
    return _times_out(declaration, session.get(ReleaseTime, declaration_id))


def _reach(session: Any, principal: Principal, declaration_id: int) -> service.Reached:
    found = service.reach(
        session=session, party=principal.party, declaration_id=declaration_id,
        recorder=recorder_of(principal),
    )  # fmt: skip
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "declaration not found")
    return found


def _times_out(declaration: Declaration, row: ReleaseTime | None) -> ReleaseTimesOut:
    return ReleaseTimesOut(
        declaration_id=declaration.id,
        lodged_at=declaration.lodged_at,
        times={name: getattr(row, name) if row else None for name in TIMESTAMPS},
        intervals_hours=times.intervals(declaration.lodged_at, row),
    )


@protocols.get("", response_model=list[ChecklistOut])
def list_checklists(principal: ChecklistReader, session: ReadSession) -> list[ChecklistOut]:
    """Your checklists and those shared with you."""
    rows = checklists.visible_checklists(session=session, party=principal.party)
    return [ChecklistOut.of(row) for row in rows]


@protocols.put("/{code}", response_model=ChecklistOut)
def put_checklist(
    code: ChecklistCode, body: ChecklistIn, principal: Writer, session: WriteSession
) -> ChecklistOut:
    """Create or change one of your checklists; every change is a new version."""
    try:
        row, _ = checklists.save_checklist(
            session=session, party=principal.party, code=code, body=body,
            user_id=principal.user_id,
        )  # fmt: skip
    except checklists.ChecklistError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from error
    return ChecklistOut.of(row)


@protocols.get("/{checklist_id}/versions", response_model=list[ChecklistVersionOut])
def checklist_versions(
    checklist_id: ObjectId, principal: ChecklistReader, session: ReadSession
) -> list[ChecklistVersionOut]:
    """Every version of a checklist you may see, oldest first."""
    row = session.get(Checklist, checklist_id)
    if row is None or not (
        row.party == principal.party or profiles.shared_with(session, principal.party, row)
    ):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "checklist not found")
    return [
        ChecklistVersionOut(version=v.version, document=json.loads(v.document),
                            changed_at=v.changed_at)
        for v in checklists.versions(session=session, checklist=row)
    ]  # fmt: skip


@feedback.get("/{profile_id}/feedback", response_model=list[FeedbackOut])
def profile_feedback(
    profile_id: ObjectId, principal: ProfileReader, session: ReadSession
) -> list[FeedbackOut]:
    """Inspection reports shared as feedback on this profile, without traders' identities."""
    profile = profiles.get_profile(session=session, party=principal.party, profile_id=profile_id)
    if profile is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "profile not found")
    rows = service.shared_feedback(
        session=session, party=principal.party, owner=profile.party, code=profile.code
    )
    return [
        FeedbackOut(id=r.id, party=r.party, profile=f"{r.profile_owner}/{r.profile_code}",
                    summary=json.loads(r.summary), distribution=r.distribution, tlp=r.tlp,
                    shared_at=r.shared_at)
        for r in rows
    ]  # fmt: skip
