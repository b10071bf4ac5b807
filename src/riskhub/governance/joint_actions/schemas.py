"""What the API takes and gives for joint enforcement actions."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from riskhub.api_types import PlainText, UtcDateTime

PartyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
AgencyName = Annotated[PlainText, StringConstraints(min_length=2, max_length=80)]
ProfileName = Annotated[str, StringConstraints(pattern=r"^([A-Z]{2}/)?[A-Z0-9][A-Z0-9._-]{2,39}$")]
RifId = Annotated[int, Field(ge=1, le=2**63 - 1)]
Count = Annotated[int, Field(ge=0, le=1_000_000_000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActionIn(_Strict):
    """A joint enforcement action your Party proposes to the RMWG (your Party takes part)."""

    title: Annotated[PlainText, StringConstraints(min_length=3, max_length=200)]
    goal: Annotated[PlainText, StringConstraints(min_length=3, max_length=4000)]
    period_from: date
    period_to: date
    participants: list[PartyCode] = Field(
        min_length=1, max_length=40, description="CEFTA Parties and EU Member States taking part"
    )
    agencies: list[AgencyName] = Field(default_factory=list, max_length=20)
    profiles: list[ProfileName] = Field(default_factory=list, max_length=50)
    rifs: list[RifId] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _period_in_order(self) -> ActionIn:
        if self.period_to < self.period_from:
            raise ValueError("period_to is before period_from")
        return self


class DecisionIn(_Strict):
    comment: Annotated[PlainText, StringConstraints(max_length=2000)] = ""


class RejectIn(_Strict):
    reason: Annotated[PlainText, StringConstraints(min_length=3, max_length=2000)]


class CloseIn(_Strict):
    summary: Annotated[PlainText, StringConstraints(min_length=3, max_length=8000)]


class ReportIn(_Strict):
    """Your Party's results; sending it again while the action runs amends them."""

    controls: Count = Field(description="controls carried out under the action")
    detections: Count = Field(description="controls that found an infringement")
    seized_quantity: float | None = Field(None, ge=0, le=1e12, allow_inf_nan=False)
    seized_unit: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{1,10}$")] | None = None
    seized_value_eur: float = Field(0.0, ge=0, le=1e13, allow_inf_nan=False)
    comment: Annotated[PlainText, StringConstraints(max_length=4000)] = ""

    @model_validator(mode="after")
    def _consistent(self) -> ReportIn:
        if self.detections > self.controls:
            raise ValueError("detections cannot exceed controls")
        if (self.seized_quantity is None) != (self.seized_unit is None):
            raise ValueError("seized_quantity and seized_unit go together")
        return self


class ReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    party: str
    version: int = Field(description="1, or more once amended")
    controls: int
    detections: int
    seized_quantity: float | None
    seized_unit: str | None
    seized_value_eur: float
    comment: str
    reported_at: UtcDateTime
    amended_at: UtcDateTime | None


class ResultsOut(BaseModel):
    participants: list[str]
    reported: list[str]
    missing: list[str] = Field(description="participants that have not reported yet")
    controls: int
    detections: int
    detection_rate: float | None
    seized_value_eur: float
    seized: dict[str, float] = Field(description="quantities seized, by unit")


class ActionSummaryOut(BaseModel):
    id: int
    party: str = Field(description="the proposing Party")
    title: str
    period_from: date
    period_to: date
    participants: list[str]
    status: str = Field(description="planned, validated, running, rejected or closed")


class ActionOut(ActionSummaryOut):
    goal: str
    agencies: list[str]
    profiles: list[str]
    rifs: list[int]
    decision_note: str
    decided_by: str | None
    decided_at: UtcDateTime | None
    closing_summary: str
    closed_by: str | None
    closed_at: UtcDateTime | None
    created_at: UtcDateTime
    reports: list[ReportOut]
    results: ResultsOut
