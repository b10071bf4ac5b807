"""What the API takes and gives for risk profiles."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from riskhub.api_types import UtcDateTime


class ProfileIn(BaseModel):
    """A profile file's text (YAML or JSON; one profile or a list of them)."""

    model_config = ConfigDict(extra="forbid")

    document: str = Field(min_length=1, max_length=1_000_000)
    activate: bool = False


class ImportOutcomeOut(BaseModel):
    code: str | None
    outcome: str = Field(description="created, changed, unchanged or rejected")
    version: int | None
    id: int | None
    problems: list[str] = Field(description="each with its line, column and field")


class ProfileSummaryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    party: str = Field(description="the owning Party")
    code: str
    version: int
    status: str
    title: str
    threat: str
    direction: str
    channel: str
    weight: int
    select_share: float
    valid_from: date | None
    valid_to: date | None
    distribution: str
    tlp: str
    updated_at: UtcDateTime


class ProfileOut(ProfileSummaryOut):
    document: str


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str = Field(pattern="^(draft|active|suspended)$")


class VersionOut(BaseModel):
    version: int
    status: str
    change: str
    changed_at: UtcDateTime
    diff: str


class BacktestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document: str = Field(min_length=1, max_length=200_000)
    since: date
    until: date | None = None


class BacktestOut(BaseModel):
    code: str
    declarations: int
    hits: int
    inspected: int = Field(description="hits that were sent to control (red or yellow)")
    found: int = Field(description="inspected hits found non-compliant")
    hit_rate: float | None
    revenue_eur: float
    overlap_any_active: int
    by_day_office: list[dict[str, object]]
    overlap_by_profile: list[dict[str, object]]


class NamedListIn(BaseModel):
    """A named list's content; saving it again makes a new version."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="trader, broker, carrier, vehicle, hs, country or office")
    entries: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(max_length=100_000)
    description: str = Field(default="", max_length=2000)
    distribution: str = Field(default="own", pattern="^(own|group|cefta|cefta_eu)$")
    tlp: str = Field(default="AMBER", pattern="^(RED|AMBER|GREEN|CLEAR)$")
    group: str | None = Field(default=None, max_length=60)


class NamedListOut(BaseModel):
    party: str
    name: str = Field(description="as used in criteria: yours by name, others' as PARTY/name")
    kind: str
    description: str
    version: int
    distribution: str
    tlp: str
    size: int
    entries: list[str] | None = Field(
        description="withheld from other Parties for lists of people and companies (personal data)"
    )
