"""Tables of risk profiles, their version history, and named lists."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from riskhub.db.base import Base, BigId


class RiskProfile(Base):
    """The current version of a risk profile; the analyst's document is kept as written."""

    __tablename__ = "risk_profiles"
    __table_args__ = (UniqueConstraint("party", "code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2))  # the owner
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(12))  # draft, active, suspended, expired
    title: Mapped[str] = mapped_column(String(200))
    threat: Mapped[str] = mapped_column(String(24))
    direction: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(8))
    weight: Mapped[int] = mapped_column(Integer)
    select_share: Mapped[float] = mapped_column(Float)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    distribution: Mapped[str] = mapped_column(String(10))
    tlp: Mapped[str] = mapped_column(String(6))
    sharing_group: Mapped[str | None] = mapped_column(String(60))
    document: Mapped[str] = mapped_column(Text)  # YAML or JSON, as the analyst wrote it
    updated_by: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class RiskProfileVersion(Base):
    """Every version a profile has had, with what changed it (imports, status changes)."""

    __tablename__ = "risk_profile_versions"
    __table_args__ = (UniqueConstraint("profile_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("risk_profiles.id", ondelete="CASCADE"))
    party: Mapped[str] = mapped_column(String(2))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))
    document: Mapped[str] = mapped_column(Text)
    change: Mapped[str] = mapped_column(String(200))  # e.g. "imported", "activated"
    changed_by: Mapped[int | None] = mapped_column(BigId)
    changed_at: Mapped[datetime] = mapped_column(DateTime)


class NamedList(Base):
    """A shared list of traders, brokers, vehicles, HS codes or countries used by criteria."""

    __tablename__ = "named_lists"
    __table_args__ = (UniqueConstraint("party", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(12))
    description: Mapped[str] = mapped_column(Text, default="")
    entries: Mapped[str] = mapped_column(Text)  # JSON array of strings
    distribution: Mapped[str] = mapped_column(String(10))
    tlp: Mapped[str] = mapped_column(String(6))
    sharing_group: Mapped[str | None] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class ProfileActivation(Base):
    """A Party's own decision on a common profile: active at its borders, or declined and why.

    A common profile (owned by the RMWG, party XS) judges a Party's declarations
    only while that Party has it active here: adoption by the RMWG publishes it,
    each administration still decides to switch it on (strategy S6).
    """

    __tablename__ = "profile_activations"
    __table_args__ = (UniqueConstraint("party", "code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2))  # the deciding Party; tenant
    code: Mapped[str] = mapped_column(String(40))  # the common profile's code
    active: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer)  # the published version decided on
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[int | None] = mapped_column(BigId)
    decided_at: Mapped[datetime] = mapped_column(DateTime)
