"""Tables of selectivity decisions and each office's selectivity settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from riskhub.db.base import Base, BigId


class SelectivityDecision(Base):
    """The channel given to one version of a declaration, and why. Written once, never redone.

    An amendment makes a new declaration version and so a new decision; the
    earlier ones stay as they were decided.
    """

    __tablename__ = "selectivity_decisions"
    __table_args__ = (
        UniqueConstraint("declaration_id", "declaration_version"),
        Index("ix_selectivity_decisions_office_day", "office", "lodged_at"),
        # KPIs and the pages read one Party's decisions over a period.
        Index("ix_selectivity_decisions_party_day", "party", "lodged_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2))
    declaration_id: Mapped[int] = mapped_column(
        ForeignKey("declarations.id", ondelete="CASCADE"), index=True
    )
    declaration_version: Mapped[int] = mapped_column(Integer)
    office: Mapped[str] = mapped_column(String(17))
    lodged_at: Mapped[datetime] = mapped_column(DateTime)
    channel: Mapped[str] = mapped_column(String(8))
    score: Mapped[float] = mapped_column(Float)
    random_control: Mapped[bool] = mapped_column(Boolean)
    aeo: Mapped[bool] = mapped_column(Boolean)
    # An AEO (own or recognised) goes first in the officers' queue: priority passage (L7).
    priority: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reasons: Mapped[str] = mapped_column(Text)  # JSON: the profiles that fired, with sentences
    agencies: Mapped[str] = mapped_column(Text)  # JSON array
    checklist: Mapped[str] = mapped_column(Text)  # JSON array
    budget: Mapped[str | None] = mapped_column(Text)  # what the office budget changed, if anything
    engine_version: Mapped[str] = mapped_column(String(40))
    profiles_version: Mapped[str] = mapped_column(String(16))  # digest of the profile set
    model_version: Mapped[str | None] = mapped_column(String(40))
    decided_at: Mapped[datetime] = mapped_column(DateTime)


class OfficeSelectivity(Base):
    """An office's random-control rates, channel targets and daily inspection capacity."""

    __tablename__ = "office_selectivity"

    office: Mapped[str] = mapped_column(String(17), primary_key=True)
    party: Mapped[str] = mapped_column(String(2))
    random_rate: Mapped[float] = mapped_column(Float)
    random_rate_aeo: Mapped[float] = mapped_column(Float)
    target_red: Mapped[float] = mapped_column(Float)
    target_yellow: Mapped[float] = mapped_column(Float)
    red_capacity_per_day: Mapped[int | None] = mapped_column(Integer)
    revenue_weight: Mapped[float] = mapped_column(Float, default=0.03)
    exploration: Mapped[float] = mapped_column(Float, default=0.5)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
