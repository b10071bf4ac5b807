"""What the API and the CLI accept and give back about checklists, inspections and times."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from riskhub.access.distribution import Distribution, Tlp
from riskhub.api_types import UtcDateTime
from riskhub.db.base import naive_utc
from riskhub.profiles.document import CODE_PATTERN, Agency


class Outcome(StrEnum):
    NO_DISCREPANCY = "no_discrepancy"
    DISCREPANCY = "discrepancy"
    SEIZURE = "seizure"
    REFUSAL_OF_ENTRY = "refusal_of_entry"


# Any outcome but "no discrepancy" is a hit: the control found something.
HIT_OUTCOMES = frozenset({Outcome.DISCREPANCY, Outcome.SEIZURE, Outcome.REFUSAL_OF_ENTRY})


class FindingCategory(StrEnum):
    UNDERVALUATION = "undervaluation"
    MISCLASSIFICATION = "misclassification"
    ORIGIN = "origin"
    QUANTITY_MASS = "quantity_mass"
    PROHIBITED_RESTRICTED = "prohibited_restricted"
    IPR = "ipr"
    HEALTH_PHYTO_VET = "health_phyto_vet"
    DOCUMENTS = "documents"


class Answer(StrEnum):
    YES = "yes"
    NO = "no"
    NOT_APPLICABLE = "not_applicable"


def plausible(value: datetime) -> datetime:
    """The value, if its year is a plausible border time's (2000-2100); else ValueError."""
    # A border timestamp outside these years is a typo, and far dates overflow on conversion.
    if not 2000 <= value.year <= 2100:
        raise ValueError("a border time lies between the years 2000 and 2100")
    return value


BorderTime = Annotated[datetime, AfterValidator(plausible)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


# -- checklists (inspection protocols) -----------------------------------------------


class ChecklistItemIn(_Strict):
    key: str = Field(pattern=r"^[a-z0-9_]{1,40}$", description="short id, e.g. seal_intact")
    text: str = Field(min_length=3, max_length=500, description="what to check")
    evidence: str = Field(default="", max_length=500, description="what to keep as evidence")
    required: bool = True


class ChecklistIn(_Strict):
    """An inspection protocol: attached to profiles (by code) and/or to channels."""

    title: str = Field(min_length=3, max_length=200)
    agency: Agency = "customs"
    channels: list[Literal["red", "yellow", "blue"]] = Field(default_factory=list)
    profiles: list[str] = Field(default_factory=list, max_length=200)
    items: list[ChecklistItemIn] = Field(min_length=1, max_length=60)
    distribution: Distribution = Distribution.OWN
    tlp: Tlp = Tlp.AMBER
    group: str | None = Field(None, max_length=60)

    @field_validator("profiles")
    @classmethod
    def _codes(cls, codes: list[str]) -> list[str]:
        for code in codes:
            # 'XS/CODE' names another owner's (e.g. a common) profile.
            if not re.match(CODE_PATTERN, code.split("/", 1)[-1]):
                raise ValueError(f"{code!r} is not a profile code")
        return codes

    @model_validator(mode="after")
    def _attached(self) -> ChecklistIn:
        if not self.channels and not self.profiles:
            raise ValueError("attach the checklist to at least one channel or profile")
        keys = [i.key for i in self.items]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            raise ValueError(f"item key {repeated[0]!r} is used twice")
        return self


class ChecklistOut(BaseModel):
    id: int
    owner: str
    code: str
    version: int
    title: str
    agency: str
    channels: list[str]
    profiles: list[str]
    items: list[ChecklistItemIn]
    distribution: str
    tlp: str
    updated_at: UtcDateTime

    @classmethod
    def of(cls, row: Any) -> ChecklistOut:
        return cls(
            id=row.id, owner=row.party, code=row.code, version=row.version, title=row.title,
            agency=row.agency, channels=json.loads(row.channels),
            profiles=json.loads(row.profiles), items=json.loads(row.items),
            distribution=row.distribution, tlp=row.tlp, updated_at=row.updated_at,
        )  # fmt: skip


class ChecklistVersionOut(BaseModel):
    version: int
    document: dict[str, Any]
    changed_at: UtcDateTime


class FormOut(BaseModel):
    """The checklists an officer works through for one declaration, plus the profiles' points."""

    declaration_id: int
    channel: str | None
    checklists: list[ChecklistOut]
    profile_points: list[str] = Field(description="checklist lines written in the fired profiles")


# -- inspections ----------------------------------------------------------------------


class AnswerIn(_Strict):
    checklist: str = Field(description="checklist code, 'OWNER/CODE' for another owner's")
    item: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    answer: Answer
    evidence: str = Field(default="", max_length=1000)


class FindingIn(_Strict):
    category: FindingCategory
    item_no: int | None = Field(None, ge=1, le=9999, description="the goods item, if one")
    detail: str = Field(default="", max_length=2000)

    _nul = field_validator("detail")(_no_nul)


class FeedbackIn(_Strict):
    """Share the report as feedback on the common profiles that selected the declaration."""

    level: Literal[Distribution.GROUP, Distribution.CEFTA, Distribution.CEFTA_EU] = (
        Distribution.CEFTA
    )
    tlp: Tlp = Tlp.AMBER
    group: str | None = Field(None, max_length=60)

    @model_validator(mode="after")
    def _group_named(self) -> FeedbackIn:
        if self.level is Distribution.GROUP and not self.group:
            raise ValueError("level 'group' needs the sharing group's name in 'group'")
        return self


class InspectionIn(_Strict):
    """One control's result, as the officer (or the other agency) records it."""

    reference: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9/._-]{0,34}$",
        description="the control report's number; sending it again does not record it twice",
    )
    kind: Literal["documentary", "physical", "scan"]
    joint_with: list[Agency] = Field(default_factory=list, description="other agencies present")
    inspector: str = Field(min_length=1, max_length=80)
    started_at: BorderTime
    finished_at: BorderTime
    outcome: Outcome
    findings: list[FindingIn] = Field(default_factory=list, max_length=50)
    answers: list[AnswerIn] = Field(default_factory=list, max_length=300)
    additional_revenue_eur: float = Field(0.0, ge=0, le=1e10)
    seized_quantity: float | None = Field(None, gt=0, le=1e10)
    seized_unit: str | None = Field(None, pattern=r"^[A-Za-z0-9 ]{1,10}$")
    notes: str = Field(default="", max_length=4000)
    share_feedback: FeedbackIn | None = None

    _nul = field_validator("inspector", "notes")(_no_nul)

    @field_validator("additional_revenue_eur", "seized_quantity")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> InspectionIn:
        if naive_utc(self.finished_at) < naive_utc(self.started_at):
            raise ValueError("finished_at is before started_at")
        if self.outcome is Outcome.NO_DISCREPANCY:
            if self.findings:
                raise ValueError("an inspection with no discrepancy has no findings")
            if self.additional_revenue_eur or self.seized_quantity:
                raise ValueError("no discrepancy, yet revenue or a seizure is recorded")
        elif not self.findings:
            raise ValueError(f"outcome '{self.outcome.value}' needs at least one finding")
        if self.outcome is Outcome.SEIZURE and not self.seized_quantity:
            raise ValueError("a seizure needs seized_quantity")
        if self.seized_quantity and not self.seized_unit:
            raise ValueError("seized_quantity needs seized_unit (e.g. kg, pcs)")
        return self


class FindingOut(BaseModel):
    category: str
    item_no: int | None
    detail: str


class InspectionOut(BaseModel):
    id: int
    reference: str
    declaration_id: int
    declaration_version: int
    decision_id: int | None
    office: str
    agency: str
    joint_with: list[str]
    kind: str
    inspector: str
    started_at: UtcDateTime
    finished_at: UtcDateTime
    outcome: str
    findings: list[FindingOut]
    answers: list[dict[str, Any]]
    additional_revenue_eur: float
    seized_quantity: float | None
    seized_unit: str | None
    notes: str
    recorded_at: UtcDateTime
    feedback_shared_on: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, row: Any, shared: list[str] | None = None) -> InspectionOut:
        return cls(
            id=row.id, reference=row.reference, declaration_id=row.declaration_id,
            declaration_version=row.declaration_version, decision_id=row.decision_id,
            office=row.office, agency=row.agency, joint_with=json.loads(row.joint_with),
            kind=row.kind, inspector=row.inspector, started_at=row.started_at,
            finished_at=row.finished_at, outcome=row.outcome,
            findings=[FindingOut(category=f.category, item_no=f.item_no, detail=f.detail)
                      for f in row.findings],
            answers=json.loads(row.answers), additional_revenue_eur=row.additional_revenue_eur,
            seized_quantity=row.seized_quantity, seized_unit=row.seized_unit, notes=row.notes,
            recorded_at=row.recorded_at, feedback_shared_on=shared or [],
        )  # fmt: skip


class FeedbackOut(BaseModel):
    id: int
    party: str = Field(description="the Party that inspected")
    profile: str = Field(description="OWNER/CODE of the profile")
    summary: dict[str, Any]
    distribution: str
    tlp: str
    shared_at: UtcDateTime


# -- release times (WCO Time Release Study) ------------------------------------------

TIMESTAMPS = (
    "arrival_at", "pre_arrival_at", "channel_at", "document_start", "document_end",
    "physical_start", "physical_end", "agency_start", "agency_end", "released_at", "exit_at",
)  # fmt: skip


class ReleaseTimesIn(_Strict):
    """Border timestamps of one declaration; those sent replace, those left out stay."""

    arrival_at: BorderTime | None = None
    pre_arrival_at: BorderTime | None = None
    channel_at: BorderTime | None = None
    document_start: BorderTime | None = None
    document_end: BorderTime | None = None
    physical_start: BorderTime | None = None
    physical_end: BorderTime | None = None
    agency_start: BorderTime | None = None
    agency_end: BorderTime | None = None
    released_at: BorderTime | None = None
    exit_at: BorderTime | None = None


class ReleaseTimesOut(BaseModel):
    declaration_id: int
    lodged_at: UtcDateTime
    times: dict[str, UtcDateTime | None]
    intervals_hours: dict[str, float | None]
