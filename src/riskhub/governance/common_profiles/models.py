"""Tables of the common risk profiles' lifecycle: proposals, votes and the trail of events."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from riskhub.db.base import Base, BigId


class CommonProfileCase(Base):
    """One version of a common risk profile on its way through the RMWG.

    Every case belongs to the RMWG (party XS): any CEFTA Party's member acts on
    it under the working group's rules, and a draft is seen only by the Party
    that drafted it until it is proposed.
    """

    __tablename__ = "common_profile_cases"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2))  # always XS: the RMWG owns common profiles
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(200))
    document: Mapped[str] = mapped_column(Text)  # the profile YAML as drafted
    drafted_by_party: Mapped[str] = mapped_column(String(2))
    drafted_by: Mapped[int | None] = mapped_column(BigId)
    source_rif_id: Mapped[int | None] = mapped_column(BigId)
    quorum: Mapped[int | None] = mapped_column(Integer)  # approvals needed, fixed when proposed
    created_at: Mapped[datetime] = mapped_column(DateTime)
    proposed_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    review_due: Mapped[date | None] = mapped_column(Date)
    closed_reason: Mapped[str] = mapped_column(Text, default="")
    profile_id: Mapped[int | None] = mapped_column(BigId)  # the published RiskProfile (XS)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class CommonProfileVote(Base):
    """A Party's vote on a proposed common profile; one per Party and case, never changed."""

    __tablename__ = "common_profile_votes"
    __table_args__ = (UniqueConstraint("case_id", "party"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("common_profile_cases.id", ondelete="CASCADE"))
    party: Mapped[str] = mapped_column(String(2))  # the voting Party; owner
    vote: Mapped[str] = mapped_column(String(8))  # approve, reject, abstain
    comment: Mapped[str] = mapped_column(Text, default="")
    voted_by: Mapped[int | None] = mapped_column(BigId)
    voted_at: Mapped[datetime] = mapped_column(DateTime)


class CommonProfileEvent(Base):
    """One step of a case (drafted, proposed, voted, adopted, published, activated...)."""

    __tablename__ = "common_profile_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("common_profile_cases.id", ondelete="CASCADE"))
    party: Mapped[str] = mapped_column(String(2))  # the Party whose member acted; owner
    event: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[int | None] = mapped_column(BigId)
    at: Mapped[datetime] = mapped_column(DateTime)
