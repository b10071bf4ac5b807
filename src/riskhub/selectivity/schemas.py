"""What the API says about a selectivity decision."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from riskhub.api_types import UtcDateTime


class ReasonOut(BaseModel):
    sentence: str = Field(description="why, in plain words")
    profile: str | None = None
    owner: str | None = None
    version: int | None = None
    channel: str | None = None
    weight: int | None = None
    selected: bool | None = Field(None, description="whether the profile's share picked it")
    random: bool | None = None
    rate: float | None = Field(None, description="the random control's rate at the draw")
    model: str | None = Field(None, description="the risk model version that scored it")
    aeo: bool | None = None
    priority: bool | None = Field(None, description="priority passage of an AEO")
    lpco: str | None = Field(None, description="the LPCO this reason is about, as cited")
    item_no: int | None = Field(None, description="the goods item citing the LPCO")
    problem: str | None = Field(None, description="the LPCO check it failed, e.g. expired")
    drawn: float | None = Field(None, description="amount drawn from the LPCO's allowance")


class DecisionOut(BaseModel):
    """The channel of one version of a declaration, and why."""

    declaration_id: int
    declaration_version: int
    party: str
    office: str
    lodged_at: UtcDateTime
    channel: str = Field(description="green, blue, yellow or red")
    score: float
    random_control: bool
    aeo: bool
    priority: bool = Field(description="priority passage (AEO): first in the officers' queue")
    reasons: list[ReasonOut]
    agencies: list[str]
    checklist: list[str]
    budget: str | None
    engine_version: str
    profiles_version: str
    model_version: str | None
    decided_at: UtcDateTime

    @classmethod
    def of(cls, row: Any) -> DecisionOut:
        """From a stored decision row."""
        return cls(
            declaration_id=row.declaration_id,
            declaration_version=row.declaration_version,
            party=row.party,
            office=row.office,
            lodged_at=row.lodged_at,
            channel=row.channel,
            score=row.score,
            random_control=row.random_control,
            aeo=row.aeo,
            priority=row.priority,
            reasons=[ReasonOut(**r) for r in json.loads(row.reasons)],
            agencies=json.loads(row.agencies),
            checklist=json.loads(row.checklist),
            budget=row.budget,
            engine_version=row.engine_version,
            profiles_version=row.profiles_version,
            model_version=row.model_version,
            decided_at=row.decided_at,
        )


class OfficeRatesIn(BaseModel):
    """An office's selectivity settings; shares are fractions of the day's declarations."""

    model_config = ConfigDict(extra="forbid")

    random_rate: float = Field(ge=0, le=1, description="random control sample, e.g. 0.02")
    random_rate_aeo: float = Field(ge=0, le=1, description="the same for AEO holders, lower")
    target_red: float = Field(ge=0, le=1, description="share of physical controls aimed at")
    target_yellow: float = Field(ge=0, le=1, description="share of documentary checks aimed at")
    red_capacity_per_day: int | None = Field(
        None, ge=0, le=100_000, description="physical inspections the office can do a day"
    )
    revenue_weight: float = Field(
        0.03, ge=0, le=1, description="risk model: 0 ranks by probability, more lifts revenue"
    )
    exploration: float = Field(
        0.5, ge=0, le=5, description="risk model: bonus for goods it has seen little of"
    )


class OfficeRatesOut(OfficeRatesIn):
    office: str
