"""Shapes of Risk Information Forms and their feedback, as the API reads and returns them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from riskhub.access.distribution import Distribution, Tlp
from riskhub.api_types import PlainText

RiskArea = Literal["financial", "security", "safety_health", "environment", "ipr", "cash"]
Urgency = Literal["routine", "urgent", "immediate"]
Outcome = Literal["no_controls", "no_irregularity", "irregularity", "seizure"]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
HsPrefix = Annotated[str, StringConstraints(pattern=r"^[0-9]{2,10}$")]
Short = Annotated[PlainText, StringConstraints(max_length=300)]
Long = Annotated[PlainText, StringConstraints(max_length=5000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OperatorIn(_In):
    """An operator involved; personal data, shown to other Parties only as a pseudonym."""

    role: Literal["importer", "exporter", "declarant", "carrier", "consignee", "other"]
    id: Annotated[PlainText, StringConstraints(min_length=1, max_length=35)] | None = None
    name: Annotated[PlainText, StringConstraints(max_length=200)] | None = None


class SharingIn(_In):
    distribution: Distribution = Distribution.CEFTA
    tlp: Tlp = Tlp.AMBER
    group: Annotated[PlainText, StringConstraints(min_length=1, max_length=60)] | None = None

    @model_validator(mode="after")
    def _group_named(self) -> SharingIn:
        if (self.distribution is Distribution.GROUP) != (self.group is not None):
            raise ValueError("name a sharing group exactly when the distribution is 'group'")
        return self


class RifIn(SharingIn):
    """A new RIF: the risk, how it works, how it was found, and what to do about it."""

    title: Annotated[PlainText, StringConstraints(min_length=3, max_length=200)]
    risk_area: RiskArea
    description: Annotated[PlainText, StringConstraints(min_length=1, max_length=5000)]
    modus_operandi: Long = ""
    indicators: list[Short] = Field(default_factory=list, max_length=50)
    hs_codes: list[HsPrefix] = Field(default_factory=list, max_length=100)
    goods_description: Long = ""
    origin_country: Country | None = None
    dispatch_country: Country | None = None
    route: Short = ""
    transport_mode: Literal["road", "rail", "sea", "air", "post", "other"] | None = None
    operators: list[OperatorIn] = Field(default_factory=list, max_length=20)
    detection_technique: Long = ""
    seized_quantity: float | None = Field(default=None, ge=0, le=1e12)
    seized_unit: Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9]{1,10}$")] | None = None
    seized_value_eur: float | None = Field(default=None, ge=0, le=1e12)
    recommended_control: Long = ""
    urgency: Urgency = "routine"
    valid_until: date = Field(
        le=date(2100, 12, 31), description="the last day the information should be acted on"
    )
    share: bool = Field(default=False, description="share at once, as distributed")


class FeedbackIn(_In):
    """What the receiving Party did with a RIF and what it found (mandatory)."""

    control_done: bool
    outcome: Outcome
    controls: int = Field(default=0, ge=0, le=10_000_000)
    detections: int = Field(default=0, ge=0, le=10_000_000)
    value_detected_eur: float | None = Field(default=None, ge=0, le=1e12)
    comment: Long = ""

    @model_validator(mode="after")
    def _consistent(self) -> FeedbackIn:
        if self.control_done == (self.outcome == "no_controls"):
            raise ValueError("outcome 'no_controls' goes with control_done false, and only with it")
        if self.detections > self.controls:
            raise ValueError("detections cannot exceed the controls done")
        if self.detections and self.outcome not in ("irregularity", "seizure"):
            raise ValueError("detections were reported: the outcome is irregularity or seizure")
        return self


class FeedbackOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    party: str
    control_done: bool
    outcome: str
    controls: int
    detections: int
    value_detected_eur: float | None
    comment: str
    given_at: datetime


class OperatorOut(BaseModel):
    role: str
    id: str | None = Field(description="the id for the originating Party, else a pseudonym")
    name: str | None = Field(description="only for the originating Party")


class RifOut(BaseModel):
    id: int
    number: str
    party: str
    status: str
    title: str
    risk_area: str
    description: str
    modus_operandi: str
    indicators: list[str]
    hs_codes: list[str]
    goods_description: str
    origin_country: str | None
    dispatch_country: str | None
    route: str
    transport_mode: str | None
    operators: list[OperatorOut]
    detection_technique: str
    seized_quantity: float | None
    seized_unit: str | None
    seized_value_eur: float | None
    recommended_control: str
    urgency: str
    valid_until: date
    expired: bool
    distribution: str
    tlp: str
    sharing_group: str | None
    raised_at: datetime
    shared_at: datetime | None
    feedback: list[FeedbackOut] = Field(description="all of it for the originator, else one's own")
    feedback_overdue: bool = Field(
        description="for a receiving Party: shared long enough ago and no feedback given yet"
    )


class ReceivedRifOut(BaseModel):
    """A RIF a partner hub sent (no operators travel), and when this Party answered it."""

    number: str
    from_party: str
    status: str = Field(description="shared, or withdrawn by its originator")
    title: str
    risk_area: str
    description: str
    modus_operandi: str
    indicators: list[str]
    hs_codes: list[str]
    origin_country: str | None
    dispatch_country: str | None
    detection_technique: str
    recommended_control: str
    urgency: str
    valid_until: datetime | None
    tlp: str
    received_at: datetime
    feedback_sent_at: datetime | None
