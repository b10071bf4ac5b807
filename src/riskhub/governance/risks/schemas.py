"""What the API takes and gives for the risk register."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from riskhub.api_types import PlainText, UtcDateTime
from riskhub.profiles.document import CODE_PATTERN

# Customs threat categories, then the emerging threats of the Strategy's M8.
CATEGORIES = (
    "revenue",
    "undervaluation",
    "misclassification",
    "origin",
    "prohibitions_restrictions",
    "security",
    "safety_health",
    "environment",
    "ipr",
    "drugs",
    "cash",
    "health_crisis",
    "cybersecurity",
    "illicit_trade",
)
EMERGING = frozenset({"health_crisis", "cybersecurity", "illicit_trade"})
TREATMENTS = ("tolerate", "treat", "transfer", "terminate")
Category = Literal[
    "revenue", "undervaluation", "misclassification", "origin", "prohibitions_restrictions",
    "security", "safety_health", "environment", "ipr", "drugs", "cash", "health_crisis",
    "cybersecurity", "illicit_trade",
]  # fmt: skip
Treatment = Literal["tolerate", "treat", "transfer", "terminate"]
Score = Annotated[int, Field(ge=1, le=5)]
# A linked profile: CODE (the register's own Party) or OWNER/CODE (XS/CODE: a common one).
ProfileName = Annotated[str, StringConstraints(pattern=r"^([A-Z]{2}/)?[A-Z0-9][A-Z0-9._-]{2,39}$")]
Title = Annotated[PlainText, StringConstraints(min_length=3, max_length=200)]
Owner = Annotated[PlainText, StringConstraints(min_length=2, max_length=120)]
Description = Annotated[PlainText, StringConstraints(max_length=8000)]
Indicators = Annotated[PlainText, StringConstraints(min_length=1, max_length=20000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RiskIn(_Strict):
    """A new risk: an analyst records it in their Party's register, the RMWG in the CEFTA-wide."""

    title: Title
    category: Category
    description: Description = ""
    likelihood: Score = Field(
        description="1 rare, 2 unlikely, 3 possible, 4 likely, 5 almost certain"
    )
    impact: Score = Field(description="1 minimal, 2 minor, 3 moderate, 4 major, 5 severe")
    owner: Owner = Field(description="who answers for the risk: a name or a role")
    treatment: Treatment
    profiles: list[ProfileName] = Field(default_factory=list, max_length=50)
    indicators: Indicators | None = Field(
        None, description="risk criteria, in the language of profiles (YAML or JSON)"
    )
    review_on: date = Field(description="the next review")


class RiskPatch(_Strict):
    """Changes to a risk; fields left out keep their value. Every change enters the history."""

    title: Title | None = None
    category: Category | None = None
    description: Description | None = None
    likelihood: Score | None = None
    impact: Score | None = None
    owner: Owner | None = None
    treatment: Treatment | None = None
    profiles: list[ProfileName] | None = Field(None, max_length=50)
    indicators: Indicators | None = None  # send null to remove them
    review_on: date | None = None
    status: Literal["open", "closed"] | None = None


class RiskSummaryOut(BaseModel):
    id: int
    reference: str = Field(description="register and number, e.g. XS-R-007")
    party: str = Field(description="the register: a Party, or XS for the CEFTA-wide one")
    cefta_wide: bool
    version: int
    title: str
    category: str
    emerging: bool = Field(description="an emerging threat of the Strategy's M8")
    likelihood: int
    impact: int
    rating: int = Field(description="likelihood x impact, 1-25")
    level: str = Field(description="low 1-4, medium 5-9, high 10-16, critical 20-25")
    owner: str
    treatment: str
    profiles: list[str]
    has_indicators: bool
    review_on: date
    overdue: bool = Field(description="open, and its review date has passed")
    status: str
    updated_at: UtcDateTime


class ChangeOut(BaseModel):
    version: int
    action: str
    changes: dict[str, list[Any]] = Field(description="field: [old, new]")
    actor: str
    changed_at: UtcDateTime


class CandidateLinkOut(BaseModel):
    profile_id: int
    profile_code: str
    created_at: UtcDateTime


class RiskOut(RiskSummaryOut):
    description: str
    indicators: str | None
    created_at: UtcDateTime
    history: list[ChangeOut]
    candidates: list[CandidateLinkOut] = Field(
        description="your Party's profiles generated from it"
    )
    performance: list[dict[str, Any]] = Field(
        description="the linked profiles' effectiveness review (KPIs), over the last 90 days"
    )


class HeatmapOut(BaseModel):
    parties: list[str] = Field(description="the registers counted in the grid")
    grid: list[list[int]] = Field(
        description="open risks: grid[likelihood-1][impact-1], likelihood and impact 1-5"
    )
    levels: dict[str, int]
    overdue: int
    by_party: dict[str, list[list[int]]] = Field(
        description="RMWG and Secretariat: each Party's register as counts only"
    )


class CandidateIn(_Strict):
    """A draft profile to generate from the risk's indicators in your Party's profiles."""

    code: str = Field(pattern=CODE_PATTERN)
    channel: Literal["red", "yellow", "blue"] = "yellow"
    weight: int = Field(20, ge=1, le=100)
    direction: Literal["IMPORT", "EXPORT", "TRANSIT", "ANY"] = "IMPORT"


class CandidateOut(BaseModel):
    risk_id: int
    profile_id: int
    code: str
    status: str = Field(description="always draft: backtest it, then activate it")
    document: str


class DueProfileOut(BaseModel):
    id: int
    code: str
    title: str
    status: str
    updated_at: UtcDateTime
    valid_to: date | None
    reasons: list[str]


class DueModelOut(BaseModel):
    version: int
    status: str
    approved_by: str | None
    approved_at: UtcDateTime | None
    reasons: list[str]


class DueOut(BaseModel):
    party: str
    review_days: int
    today: date
    profiles: list[DueProfileOut]
    models: list[DueModelOut]
