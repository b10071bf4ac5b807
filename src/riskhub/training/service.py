"""Cohorts, exercise attempts and training records.

An instructor (RMWG member or a Party's administrator) creates a cohort with
the exercises it works through and gives the trainees its join code. A trainee
starts an exercise (its traffic is seeded into the sandbox), submits profiles
and gets a score; a passing attempt adds a training record for them. A Party's
administrator records courses its officials completed. Officials' names are
personal data: a Party sees its own records; an instructor sees the trainees
of their cohorts; everyone else sees counts.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, Integer, cast, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from riskhub.db.tenancy import acting_for
from riskhub.profiles.service import ProfileError
from riskhub.reference.parties import CEFTA_PARTIES
from riskhub.training import sandbox, scoring
from riskhub.training.exercises import Exercise, exercise
from riskhub.training.models import Attempt, Cohort, CohortMember, TrainingRecord

AGENCIES = ("customs", "phytosanitary", "veterinary", "market_surveillance")
MAX_PROFILES = 10


class TrainingError(ValueError):
    """Why a training request cannot be done; ``status`` is the HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Trainee:
    """Who is training: a signed-in user of a Party, of an agency."""

    user_id: int
    party: str
    name: str
    agency: str


def known(code: str) -> Exercise:
    """The exercise ``code``, or a 404 TrainingError."""
    found = exercise(code)
    if found is None:
        raise TrainingError(404, f"there is no exercise {code!r}")
    return found


def start(*, engine: Engine, code: str) -> int:
    """Seed the exercise's traffic into the sandbox (once); the declarations it has there."""
    return sandbox.seed(engine=engine, exercise=known(code))


def create_cohort(*, session: Session, party: str, name: str, exercises: list[str],
                  instructor_id: int, instructor: str, now: datetime) -> Cohort:  # fmt: skip
    """A new cohort of ``party``'s instructor, working through ``exercises``."""
    for code in exercises:
        known(code)
    if not exercises:
        raise TrainingError(422, "a cohort works through at least one exercise")
    cohort = Cohort(party=party, name=name, join_code=secrets.token_hex(4).upper(),
                    exercises=json.dumps(sorted(set(exercises))), instructor_id=instructor_id,
                    instructor=instructor, created_at=now)  # fmt: skip
    session.add(cohort)
    session.flush()
    return cohort


def join(*, session: Session, join_code: str, trainee: Trainee, now: datetime) -> Cohort:
    """Put ``trainee`` in the cohort with ``join_code`` (joining twice changes nothing)."""
    cohort = session.scalars(
        select(Cohort).where(Cohort.join_code == join_code.strip().upper())
    ).one_or_none()
    if cohort is None:
        raise TrainingError(404, "no cohort has that join code")
    m = CohortMember
    if session.scalar(select(m.id).where(m.cohort_id == cohort.id, m.user_id == trainee.user_id)):
        return cohort
    try:
        # The member row is the trainee's Party's, written in its name like all its rows.
        with session.begin_nested():
            session.add(CohortMember(party=trainee.party, cohort_id=cohort.id,
                                     user_id=trainee.user_id, name=trainee.name,
                                     joined_at=now))  # fmt: skip
    except IntegrityError:
        pass  # joined at the same moment from another tab
    return cohort


def cohorts_of(*, session: Session, user_id: int) -> list[Cohort]:
    """The cohorts a user runs or is a member of, newest first."""
    member = select(CohortMember.cohort_id).where(CohortMember.user_id == user_id)
    return list(session.scalars(
        select(Cohort).where((Cohort.instructor_id == user_id) | Cohort.id.in_(member))
        .order_by(Cohort.created_at.desc(), Cohort.id.desc())
    ))  # fmt: skip


def cohort_view(*, session: Session, cohort_id: int, user_id: int) -> dict[str, Any]:
    """A cohort as its instructor sees it (every trainee's best score per exercise) or as a
    member sees it (their own); anyone else finds no such cohort (404)."""
    cohort = session.get(Cohort, cohort_id)
    members = list(session.scalars(
        select(CohortMember).where(CohortMember.cohort_id == cohort_id).order_by(CohortMember.name)
    )) if cohort else []  # fmt: skip
    runs = cohort is not None and cohort.instructor_id == user_id
    if cohort is None or not (runs or any(m.user_id == user_id for m in members)):
        raise TrainingError(404, "cohort not found")
    shown = members if runs else [m for m in members if m.user_id == user_id]
    a = Attempt
    best = {
        (user, code): (score, passed, tries)
        for user, code, score, passed, tries in session.execute(
            select(a.user_id, a.exercise, func.max(a.score),
                   func.max(cast(a.passed, Integer)), func.count())
            .where(a.cohort_id == cohort_id, a.user_id.in_([m.user_id for m in shown]))
            .group_by(a.user_id, a.exercise)
        )
    }  # fmt: skip
    codes = json.loads(cohort.exercises)
    return {
        "cohort": cohort, "runs": runs, "exercises": codes,
        "rows": [{"name": m.name, "party": m.party, "user_id": m.user_id,
                  "results": {c: best.get((m.user_id, c)) for c in codes}} for m in shown],
    }  # fmt: skip


def trial(*, engine: Engine, code: str, texts: list[str]) -> scoring.Score:
    """Score ``texts`` on the exercise without keeping anything (a backtest before submitting)."""
    found = known(code)
    texts = [t for t in texts if t.strip()]
    if not texts or len(texts) > MAX_PROFILES:
        raise TrainingError(422, f"submit between 1 and {MAX_PROFILES} profiles")
    try:
        return scoring.attempt(engine=engine, exercise=found, texts=texts)
    except ProfileError as error:
        raise TrainingError(422, f"a profile cannot be read: {error}") from None
    except ValueError as error:
        raise TrainingError(409, str(error)) from None


def submit(*, engine: Engine, code: str, texts: list[str], trainee: Trainee,
           cohort_id: int | None, now: datetime) -> Attempt:  # fmt: skip
    """Score ``texts`` on the exercise and keep the attempt; a pass adds a training record."""
    known(code)
    with acting_for(trainee.party), Session(engine) as session:
        if cohort_id is not None:
            view = cohort_view(session=session, cohort_id=cohort_id, user_id=trainee.user_id)
            if code not in view["exercises"]:
                raise TrainingError(422, f"the cohort does not work through {code}")
    result = trial(engine=engine, code=code, texts=texts)
    texts = [t for t in texts if t.strip()]
    writer = engine.execution_options(sqlite_immediate=True)
    with acting_for(trainee.party), Session(writer, expire_on_commit=False) as session, \
            session.begin():  # fmt: skip
        row = Attempt(party=trainee.party, user_id=trainee.user_id, trainee=trainee.name,
                      exercise=code, cohort_id=cohort_id, profiles=json.dumps(texts),
                      result=json.dumps(dataclasses.asdict(result)), score=result.score,
                      passed=result.passed, submitted_at=now)  # fmt: skip
        session.add(row)
        if result.passed:
            record(session=session, party=trainee.party, person=trainee.name,
                   agency=trainee.agency, course=f"exercise {code}", kind="exercise",
                   completed_on=now.date(), score=result.score, recorded_by="riskhub",
                   now=now)  # fmt: skip
    return row


def attempts_of(*, session: Session, user_id: int) -> list[Attempt]:
    """A trainee's own attempts, newest first."""
    return list(session.scalars(
        select(Attempt).where(Attempt.user_id == user_id)
        .order_by(Attempt.submitted_at.desc(), Attempt.id.desc())
    ))  # fmt: skip


def record(*, session: Session, party: str, person: str, agency: str, course: str, kind: str,
           completed_on: date, score: float | None, recorded_by: str,
           now: datetime) -> TrainingRecord:  # fmt: skip
    """Record that ``person`` completed ``course`` (once per day: a repeat returns the first)."""
    if agency not in AGENCIES:
        raise TrainingError(422, f"agency is one of {', '.join(AGENCIES)}")
    if not person.strip() or not course.strip():
        raise TrainingError(422, "a record names the person and the course")
    r = TrainingRecord
    same = select(r).where(r.party == party, r.person == person.strip(),
                           r.course == course.strip(), r.completed_on == completed_on)  # fmt: skip

    def kept(earlier: TrainingRecord) -> TrainingRecord:
        if kind == "exercise" and score is not None and (earlier.score or 0) < score:
            earlier.score = score  # a better pass the same day
        return earlier

    earlier = session.scalars(same).one_or_none()
    if earlier is not None:
        return kept(earlier)
    row = TrainingRecord(party=party, person=person.strip(), agency=agency,
                         course=course.strip(), kind=kind, completed_on=completed_on,
                         score=score, recorded_by=recorded_by, recorded_at=now)  # fmt: skip
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # The same record written at the same moment by another transaction: the first stays.
        return kept(session.scalars(same).one())
    return row


def records_of(*, session: Session, party: str) -> list[TrainingRecord]:
    """``party``'s training records, newest first."""
    r = TrainingRecord
    return list(session.scalars(
        select(r).where(r.party == party).order_by(r.completed_on.desc(), r.person)
    ))  # fmt: skip


def officials_trained(*, engine: Engine) -> dict[str, int]:
    """Per CEFTA Party, how many of its officials completed a course or passed an exercise
    (counts only: names stay with each Party)."""
    out = {}
    r = TrainingRecord
    for party in sorted(CEFTA_PARTIES):
        with acting_for(party), Session(engine) as session:
            people = select(func.count(func.distinct(r.person))).where(r.party == party)
            out[party] = int(session.scalar(people) or 0)
    return out
