"""What the training API reads and answers."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from riskhub.api_types import PlainText, UtcDateTime

# Stored or compared by the database, so no NUL character (PlainText says why).
Text = Annotated[PlainText, StringConstraints(max_length=20_000)]
Name = Annotated[PlainText, StringConstraints(min_length=1, max_length=120)]
Code = Annotated[PlainText, StringConstraints(min_length=1, max_length=24)]


class ExerciseOut(BaseModel):
    code: str
    title: str
    scenario: str
    goal: str
    targets: list[str]
    budget: float
    pass_mark: float
    since: UtcDateTime
    until: UtcDateTime


class StartedOut(BaseModel):
    code: str
    declarations: int  # the exercise's declarations in the sandbox


class AttemptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    profiles: list[Text] = Field(min_length=1, max_length=10)  # each a profile's YAML
    cohort_id: int | None = Field(default=None, ge=1, le=2**53)


class AttemptOut(BaseModel):
    id: int
    exercise: str
    score: float
    passed: bool
    submitted_at: UtcDateTime
    result: dict[str, Any]


class CohortIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    exercises: list[Code] = Field(min_length=1, max_length=20)


class JoinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    join_code: Annotated[PlainText, StringConstraints(min_length=4, max_length=12)]


class CohortOut(BaseModel):
    id: int
    name: str
    party: str
    instructor: str
    exercises: list[str]
    join_code: str | None  # the instructor's to hand out; not shown to members
    trainees: list[dict[str, Any]]


class RecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person: Name
    agency: Annotated[PlainText, StringConstraints(max_length=24)] = "customs"
    course: Name
    completed_on: date
    score: float | None = Field(default=None, ge=0, le=100)


class RecordOut(BaseModel):
    id: int
    person: str
    agency: str
    course: str
    kind: str
    completed_on: date
    score: float | None
    recorded_by: str
