"""Pages of the training sandbox: exercises, scored attempts, cohorts, training records.

Every page here says that it is the sandbox: the traffic is synthetic, owned
by the sandbox tenant, and nothing done here reaches live selectivity, KPIs or
models. The services are the API's (``training.service``).
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from riskhub.access.principal import Principal
from riskhub.access.roles import Permission, allows
from riskhub.api_types import ObjectId
from riskhub.db.base import utcnow
from riskhub.db.engine import get_engine
from riskhub.inspections.routes import recorder_of
from riskhub.training import sandbox, service
from riskhub.training.exercises import shipped
from riskhub.training.models import Attempt
from riskhub.web.pages import WITHOUT_NUL, audited, render, viewer, writing

router = APIRouter(include_in_schema=False)
Taker = Annotated[Principal, Depends(viewer(Permission.TRAINING_TAKE))]
Instructor = Annotated[Principal, Depends(viewer(Permission.TRAINING_INSTRUCT))]
Keeper = Annotated[Principal, Depends(viewer(Permission.TRAINING_RECORDS))]
SEPARATOR = re.compile(r"^---\s*$", re.M)  # between profiles in the one text box
COHORT = re.compile(r"[1-9][0-9]{0,17}", re.ASCII)  # an id as the form sends it


def _trainee(user: Principal) -> service.Trainee:
    return service.Trainee(user.user_id, user.party, user.name,
                           recorder_of(user).agency or "customs")  # fmt: skip


def _failed(request: Request, user: Principal, error: service.TrainingError) -> Response:
    return render(request, "error.html", user, status_code=error.status, message=str(error))


@router.get("/training", response_class=HTMLResponse)
def training(request: Request, user: Taker) -> Response:
    """The exercises, the user's cohorts and attempts, and (instructors) a new cohort."""
    engine = get_engine()
    with Session(engine) as session:
        cohorts = service.cohorts_of(session=session, user_id=user.user_id)
        attempts = service.attempts_of(session=session, user_id=user.user_id)
    seeded = {c: sandbox.declarations_of(engine=engine, exercise=e) for c, e in shipped().items()}
    return render(request, "training/index.html", user, exercises=list(shipped().values()),
                  seeded=seeded, cohorts=cohorts, attempts=attempts,
                  instructs=allows(user.role, Permission.TRAINING_INSTRUCT),
                  keeps=allows(user.role, Permission.TRAINING_RECORDS))  # fmt: skip


@router.post("/training/join", response_model=None)
def join(request: Request, user: Taker,
         join_code: Annotated[str, Form(max_length=12), WITHOUT_NUL]) -> Response:  # fmt: skip
    """Join a cohort with its code."""
    try:
        with writing() as session:
            cohort = service.join(session=session, join_code=join_code,
                                  trainee=_trainee(user), now=utcnow())  # fmt: skip
            cohort_id = cohort.id
    except service.TrainingError as error:
        return _failed(request, user, error)
    audited(user, "training.join", f"cohort:{cohort_id}", "joined")
    return RedirectResponse(f"/training/cohorts/{cohort_id}", status_code=303)


@router.get("/training/exercises/{code}", response_class=HTMLResponse)
def exercise(request: Request, user: Taker, code: str) -> Response:
    """One exercise: its scenario and goal, and the form to submit profiles."""
    try:
        found = service.known(code)
    except service.TrainingError as error:
        return _failed(request, user, error)
    with Session(get_engine()) as session:
        cohorts = [c for c in service.cohorts_of(session=session, user_id=user.user_id)
                   if code in json.loads(c.exercises)]  # fmt: skip
    held = sandbox.declarations_of(engine=get_engine(), exercise=found)
    return render(request, "training/exercise.html", user, e=found, held=held, cohorts=cohorts,
                  text="", problem=None, r=None)  # fmt: skip


@router.post("/training/exercises/{code}/start", response_model=None)
def start(request: Request, user: Taker, code: str) -> Response:
    """Put the exercise's synthetic traffic in the sandbox (once)."""
    try:
        held = service.start(engine=get_engine(), code=code)
    except service.TrainingError as error:
        return _failed(request, user, error)
    audited(user, "training.start", f"exercise:{code}", f"{held} declarations")
    return RedirectResponse(f"/training/exercises/{code}", status_code=303)


@router.post("/training/exercises/{code}", response_model=None)
def submit(
    request: Request, user: Taker, code: str,
    profiles: Annotated[str, Form(max_length=60_000), WITHOUT_NUL],
    cohort_id: Annotated[str, Form(max_length=20)] = "",
    action: Annotated[str, Form(max_length=10)] = "submit",
) -> Response:  # fmt: skip
    """Backtest the profiles (shown here, kept nowhere), or score them as an attempt."""
    texts = [t for t in SEPARATOR.split(profiles) if t.strip()]
    engine = get_engine()

    def again(status_code: int, problem: str | None, r: dict[str, Any] | None) -> Response:
        found = service.known(code)
        with Session(engine) as session:
            cohorts = [c for c in service.cohorts_of(session=session, user_id=user.user_id)
                       if code in json.loads(c.exercises)]  # fmt: skip
        return render(request, "training/exercise.html", user, status_code=status_code,
                      e=found, held=sandbox.declarations_of(engine=engine, exercise=found),
                      cohorts=cohorts, text=profiles, problem=problem, r=r)  # fmt: skip

    if cohort_id and not COHORT.fullmatch(cohort_id):
        return again(422, "choose the cohort from the list", None)
    cohort = int(cohort_id) if cohort_id else None
    try:
        if action == "trial":
            scored = service.trial(engine=engine, code=code, texts=texts)
            return again(200, None, dataclasses.asdict(scored))
        row = service.submit(engine=engine, code=code, texts=texts,
                             trainee=_trainee(user), cohort_id=cohort, now=utcnow())  # fmt: skip
    except service.TrainingError as error:
        if error.status != 422:
            return _failed(request, user, error)
        return again(422, str(error), None)
    audited(user, "training.attempt", f"exercise:{code}", f"score {row.score}")
    return RedirectResponse(f"/training/attempts/{row.id}", status_code=303)


@router.get("/training/attempts/{attempt_id}", response_class=HTMLResponse)
def attempt(request: Request, user: Taker, attempt_id: ObjectId) -> Response:
    """One of the user's attempts: the score, its parts, and the planted cases missed."""
    with Session(get_engine()) as session:
        row = session.get(Attempt, attempt_id)
    if row is None or row.user_id != user.user_id:
        return _failed(request, user, service.TrainingError(404, "attempt not found"))
    return render(request, "training/attempt.html", user, a=row, r=json.loads(row.result),
                  e=service.known(row.exercise), texts=json.loads(row.profiles))  # fmt: skip


@router.post("/training/cohorts", response_model=None)
def create_cohort(
    request: Request, user: Instructor,
    name: Annotated[str, Form(min_length=1, max_length=120), WITHOUT_NUL],
    exercises: Annotated[list[str], Form()],
) -> Response:  # fmt: skip
    """A new cohort of the instructor's, working through the chosen exercises."""
    try:
        with writing() as session:
            cohort = service.create_cohort(session=session, party=user.party,
                                           name=name,
                                           exercises=exercises, instructor_id=user.user_id,
                                           instructor=user.name, now=utcnow())  # fmt: skip
            cohort_id = cohort.id
    except service.TrainingError as error:
        return _failed(request, user, error)
    audited(user, "training.cohort", f"cohort:{cohort_id}", "created")
    return RedirectResponse(f"/training/cohorts/{cohort_id}", status_code=303)


@router.get("/training/cohorts/{cohort_id}", response_class=HTMLResponse)
def cohort(request: Request, user: Taker, cohort_id: ObjectId) -> Response:
    """A cohort: its join code and every trainee's best scores (instructor), or one's own."""
    try:
        with Session(get_engine()) as session:
            view = service.cohort_view(session=session, cohort_id=cohort_id,
                                       user_id=user.user_id)  # fmt: skip
    except service.TrainingError as error:
        return _failed(request, user, error)
    return render(request, "training/cohort.html", user, **view,
                  titles={c: e.title for c, e in shipped().items()})  # fmt: skip


@router.get("/training/records", response_class=HTMLResponse)
def records(request: Request, user: Keeper) -> Response:
    """The Party's training records (names stay with the Party), and a form to add one."""
    return _records(request, user)


def _records(request: Request, user: Principal, error: str | None = None,
             status_code: int = 200) -> Response:  # fmt: skip
    with Session(get_engine()) as session:
        rows = service.records_of(session=session, party=user.party)
    return render(request, "training/records.html", user, status_code=status_code, rows=rows,
                  agencies=service.AGENCIES, error=error, today=date.today())  # fmt: skip


@router.post("/training/records", response_model=None)
def add_record(
    request: Request, user: Keeper, person: Annotated[str, Form(max_length=120), WITHOUT_NUL],
    course: Annotated[str, Form(max_length=120), WITHOUT_NUL],
    completed_on: Annotated[date, Form()],
    agency: Annotated[str, Form(max_length=24)] = "customs",
) -> Response:  # fmt: skip
    """Record that an official completed a course."""
    try:
        with writing() as session:
            service.record(session=session, party=user.party, person=person,
                           agency=agency, course=course, kind="course",
                           completed_on=completed_on, score=None,
                           recorded_by=user.describe(), now=utcnow())  # fmt: skip
    except service.TrainingError as error:
        return _records(request, user, error=str(error), status_code=error.status)
    audited(user, "training.record", f"course:{course[:60]}", "recorded")
    return RedirectResponse("/training/records", status_code=303)
