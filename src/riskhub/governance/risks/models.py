"""Tables of the risk register: risks, their change history, and the profiles they generated."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from riskhub.db.base import Base, BigId


class Risk(Base):
    """One risk in a register: a Party's own, or CEFTA-wide (owned by XS, kept by the RMWG)."""

    __tablename__ = "risks"
    __table_args__ = (UniqueConstraint("party", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2))  # the register: a Party, or XS (CEFTA-wide)
    number: Mapped[int] = mapped_column(Integer)  # within the register: XS-R-007
    version: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(Text, default="")
    likelihood: Mapped[int] = mapped_column(Integer)  # 1-5
    impact: Mapped[int] = mapped_column(Integer)  # 1-5
    owner: Mapped[str] = mapped_column(String(120))  # who answers for it: a name or a role
    treatment: Mapped[str] = mapped_column(String(10))
    profiles: Mapped[str] = mapped_column(Text, default="[]")  # JSON array of OWNER/CODE
    indicators: Mapped[str | None] = mapped_column(Text)  # risk criteria (YAML/JSON), as written
    review_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8))  # open, closed
    created_by: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class RiskChange(Base):
    """One change of a risk: who, when, and each field's old and new value."""

    __tablename__ = "risk_changes"
    __table_args__ = (UniqueConstraint("risk_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    risk_id: Mapped[int] = mapped_column(ForeignKey("risks.id", ondelete="CASCADE"))
    party: Mapped[str] = mapped_column(String(2))  # the register's, like the risk
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))  # recorded, changed, closed, reopened...
    changes: Mapped[str] = mapped_column(Text)  # JSON {field: [old, new]}
    changed_by: Mapped[int | None] = mapped_column(BigId)
    actor: Mapped[str] = mapped_column(String(160))  # "name (role, Party)", kept as it was then
    changed_at: Mapped[datetime] = mapped_column(DateTime)


class RiskCandidate(Base):
    """A draft profile a Party generated from a risk's indicators (emerging threats, M8)."""

    __tablename__ = "risk_candidates"
    __table_args__ = (UniqueConstraint("party", "profile_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2))  # the Party whose profile it is
    risk_id: Mapped[int] = mapped_column(ForeignKey("risks.id", ondelete="CASCADE"), index=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("risk_profiles.id", ondelete="CASCADE"))
    profile_code: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(DateTime)
