"""What the assessment API reads and answers."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from riskhub.api_types import PlainText, UtcDateTime

Key = Annotated[PlainText, StringConstraints(min_length=1, max_length=40)]
Answer = Annotated[PlainText, StringConstraints(max_length=200)] | float | None


class AnswersIn(BaseModel):
    """Answers to lay over the draft (None clears one), and comments giving the evidence."""

    model_config = ConfigDict(extra="forbid")

    answers: dict[Key, Answer] = Field(default_factory=dict, max_length=200)
    comments: dict[Key, Annotated[PlainText, StringConstraints(max_length=2000)]] = Field(
        default_factory=dict, max_length=200
    )


class QuestionnaireOut(BaseModel):
    code: str
    version: int
    title: str
    activity: str
    dimensions: list[dict[str, Any]]


class ResponseOut(BaseModel):
    party: str
    code: str
    version: int
    period: str
    status: str
    answers: dict[str, Any]
    comments: dict[str, str]
    missing: list[str]  # questions not answered yet
    scores: dict[str, Any] | None
    updated_by: str
    updated_at: UtcDateTime
    submitted_at: UtcDateTime | None


class ResultOut(BaseModel):
    party: str
    period: str
    version: int
    overall: float
    level: str
    dimensions: dict[str, float]
    submitted_at: UtcDateTime | None
