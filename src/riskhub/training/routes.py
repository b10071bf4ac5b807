"""HTTP routes of the training: exercises in the sandbox, attempts, cohorts, records."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path

from riskhub.access.principal import Principal, require
from riskhub.access.roles import Permission
from riskhub.api_types import ObjectId, unprocessable
from riskhub.db.base import utcnow
from riskhub.db.engine import get_engine
from riskhub.db.session import ReadSession, WriteSession
from riskhub.inspections.routes import recorder_of
from riskhub.training import service
from riskhub.training.exercises import shipped
from riskhub.training.models import Attempt, Cohort
from riskhub.training.schemas import (
    AttemptIn,
    AttemptOut,
    CohortIn,
    CohortOut,
    ExerciseOut,
    JoinIn,
    RecordIn,
    RecordOut,
    StartedOut,
)

router = APIRouter(prefix="/api/v1/training", tags=["training"])
Taker = Annotated[Principal, Depends(require(Permission.TRAINING_TAKE))]
Instructor = Annotated[Principal, Depends(require(Permission.TRAINING_INSTRUCT))]
Keeper = Annotated[Principal, Depends(require(Permission.TRAINING_RECORDS))]
Code = Annotated[str, Path(max_length=24)]


def trainee_of(principal: Principal) -> service.Trainee:
    return service.Trainee(principal.user_id, principal.party, principal.name,
                           recorder_of(principal).agency or "customs")  # fmt: skip


def refused(error: service.TrainingError) -> HTTPException:
    if error.status != 422:
        return HTTPException(error.status, str(error))
    return unprocessable([(["body"], str(error))])


def attempt_out(row: Attempt) -> AttemptOut:
    return AttemptOut(id=row.id, exercise=row.exercise, score=row.score, passed=row.passed,
                      submitted_at=row.submitted_at, result=json.loads(row.result))  # fmt: skip


def cohort_out(view: dict[str, object]) -> CohortOut:
    cohort = view["cohort"]
    assert isinstance(cohort, Cohort)
    return CohortOut(id=cohort.id, name=cohort.name, party=cohort.party,
                     instructor=cohort.instructor, exercises=json.loads(cohort.exercises),
                     join_code=cohort.join_code if view["runs"] else None,
                     trainees=view["rows"])  # fmt: skip


@router.get("/exercises", response_model=list[ExerciseOut])
def exercises(principal: Taker) -> list[ExerciseOut]:
    """The exercises: scenario, goal, target kinds, inspection budget, pass mark, period."""
    fields = {"code", "title", "scenario", "goal", "targets", "budget", "pass_mark"}
    return [ExerciseOut(**e.model_dump(include=fields), since=e.window[0], until=e.window[1])
            for e in shipped().values()]  # fmt: skip


@router.post("/exercises/{code}/start", response_model=StartedOut)
def start(code: Code, principal: Taker) -> StartedOut:
    """Put the exercise's synthetic traffic in the sandbox (once, for everyone)."""
    try:
        return StartedOut(code=code, declarations=service.start(engine=get_engine(), code=code))
    except service.TrainingError as error:
        raise refused(error) from None


@router.post("/exercises/{code}/attempts", response_model=AttemptOut, status_code=201)
def submit(code: Code, body: AttemptIn, principal: Taker) -> AttemptOut:
    """Score profiles on the exercise against its planted truth; a pass is recorded."""
    try:
        row = service.submit(engine=get_engine(), code=code, texts=body.profiles,
                             trainee=trainee_of(principal), cohort_id=body.cohort_id,
                             now=utcnow())  # fmt: skip
    except service.TrainingError as error:
        raise refused(error) from None
    return attempt_out(row)


@router.get("/attempts", response_model=list[AttemptOut])
def attempts(principal: Taker, session: ReadSession) -> list[AttemptOut]:
    """The caller's own attempts, newest first."""
    return [attempt_out(r) for r in service.attempts_of(session=session, user_id=principal.user_id)]


@router.post("/cohorts", response_model=CohortOut, status_code=201)
def create_cohort(body: CohortIn, principal: Instructor, session: WriteSession) -> CohortOut:
    """A cohort working through some exercises; its join code goes to the trainees."""
    try:
        cohort = service.create_cohort(session=session, party=principal.party, name=body.name,
                                       exercises=body.exercises, instructor_id=principal.user_id,
                                       instructor=principal.name, now=utcnow())  # fmt: skip
    except service.TrainingError as error:
        raise refused(error) from None
    return cohort_out(service.cohort_view(session=session, cohort_id=cohort.id,
                                          user_id=principal.user_id))  # fmt: skip


@router.post("/cohorts/join", response_model=CohortOut)
def join(body: JoinIn, principal: Taker, session: WriteSession) -> CohortOut:
    """Join a cohort with the code its instructor gave."""
    try:
        cohort = service.join(session=session, join_code=body.join_code,
                              trainee=trainee_of(principal), now=utcnow())  # fmt: skip
        return cohort_out(service.cohort_view(session=session, cohort_id=cohort.id,
                                              user_id=principal.user_id))  # fmt: skip
    except service.TrainingError as error:
        raise refused(error) from None


@router.get("/cohorts/{cohort_id}", response_model=CohortOut)
def cohort(cohort_id: ObjectId, principal: Taker, session: ReadSession) -> CohortOut:
    """A cohort: every trainee's best score per exercise for its instructor, one's own else."""
    try:
        return cohort_out(service.cohort_view(session=session, cohort_id=cohort_id,
                                              user_id=principal.user_id))  # fmt: skip
    except service.TrainingError as error:
        raise refused(error) from None


@router.post("/records", response_model=RecordOut, status_code=201)
def add_record(body: RecordIn, principal: Keeper, session: WriteSession) -> RecordOut:
    """Record that an official of the caller's Party completed a course."""
    try:
        row = service.record(session=session, party=principal.party, person=body.person,
                             agency=body.agency, course=body.course, kind="course",
                             completed_on=body.completed_on, score=body.score,
                             recorded_by=principal.describe(), now=utcnow())  # fmt: skip
    except service.TrainingError as error:
        raise refused(error) from None
    return RecordOut.model_validate(row, from_attributes=True)


@router.get("/records", response_model=list[RecordOut])
def records(principal: Keeper, session: ReadSession) -> list[RecordOut]:
    """The caller's Party's training records, newest first (names: the Party's own only)."""
    rows = service.records_of(session=session, party=principal.party)
    return [RecordOut.model_validate(r, from_attributes=True) for r in rows]
