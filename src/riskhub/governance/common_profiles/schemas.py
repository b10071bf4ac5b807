"""Shapes of the common profiles' lifecycle: drafts, votes, local decisions, reviews, adoption."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from riskhub.api_types import PlainText

Comment = Annotated[PlainText, StringConstraints(max_length=2000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DraftIn(_In):
    """A common profile to put before the RMWG: the profile YAML, as for a Party's own."""

    document: Annotated[PlainText, StringConstraints(min_length=1, max_length=100_000)]


class VoteIn(_In):
    vote: Literal["approve", "reject", "abstain"]
    comment: Comment = ""

    @model_validator(mode="after")
    def _reasoned_rejection(self) -> VoteIn:
        if self.vote == "reject" and not self.comment.strip():
            raise ValueError("a rejection says why in the comment, so the drafters can revise")
        return self


class ActivationIn(_In):
    """A Party's own decision: use the published common profile at its borders, or not."""

    active: bool
    reason: Comment = ""

    @model_validator(mode="after")
    def _reasoned_refusal(self) -> ActivationIn:
        if not self.active and not self.reason.strip():
            raise ValueError("say why the profile is not (or no longer) used, for the RMWG")
        return self


class ReviewIn(_In):
    """The periodic review of a published common profile: keep, revise, or withdraw."""

    outcome: Literal["keep", "revise", "withdraw"]
    comment: Comment = ""
    next_review: date | None = None
    document: Annotated[PlainText, StringConstraints(max_length=100_000)] | None = None

    @model_validator(mode="after")
    def _fits_outcome(self) -> ReviewIn:
        if (self.outcome == "revise") != (self.document is not None):
            raise ValueError("a revision carries the new document, and only a revision does")
        if self.outcome == "withdraw" and not self.comment.strip():
            raise ValueError("a withdrawal says why in the comment")
        return self


class VoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    party: str
    vote: str
    comment: str
    voted_at: datetime


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    party: str
    event: str
    detail: str
    at: datetime


class LocalDecisionOut(BaseModel):
    party: str
    active: bool
    version: int
    reason: str
    decided_at: datetime


class TallyOut(BaseModel):
    approve: int
    reject: int
    abstain: int
    not_voted: list[str]
    quorum: int | None
    approval_share: float = Field(description="approvals over all CEFTA Parties (S6 KPI)")


class CaseOut(BaseModel):
    id: int
    code: str
    version: int
    status: str
    title: str
    drafted_by_party: str
    source_rif_id: int | None
    created_at: datetime
    proposed_at: datetime | None
    decided_at: datetime | None
    published_at: datetime | None
    review_due: date | None
    review_overdue: bool
    closed_reason: str
    tally: TallyOut
    activation_share: float = Field(description="Parties in scope that activated it")


class FeedbackRow(BaseModel):
    """How the profile did at one Party that uses it (from its inspection results)."""

    party: str
    matches: int
    selected: int
    inspected: int
    hits: int
    hit_rate: float | None
    revenue_eur: float


class CaseDetailOut(CaseOut):
    document: str
    votes: list[VoteOut]
    local_decisions: list[LocalDecisionOut]
    events: list[EventOut]


class AdoptionOut(BaseModel):
    """The S6 KPI: how far the Parties agreed on, and switched on, the common profiles."""

    cefta_parties: int
    published_profiles: int
    parties_approving_all: list[str]
    share_approving_all: float = Field(description="target: at least 0.5")
    profiles: list[CaseOut]


class ReceivedOut(BaseModel):
    """A common profile the RMWG's hub sent to this hub, and the Party's decision on it."""

    code: str
    version: int
    action: str
    title: str
    received_at: datetime
    withdrawn: bool
    active: bool
    decided_version: int | None
