"""Tables of the Action Plan tracker: each Party's reported progress, and the review snapshots.

Progress is reported by people (most activities are a framework adopted or a
programme run, which no declaration shows), so every report is kept as a row:
the latest per Party and activity is the current status, the rest is its
history with evidence. Every Party reads them all (the tracker is the CEFTA
M&E dashboard); each Party writes only its own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from riskhub.db.base import Base, BigId


class ProgressReport(Base):
    """What a Party reported on one activity: status, progress, evidence, comment."""

    __tablename__ = "actionplan_reports"
    __table_args__ = (Index("ix_actionplan_reports_activity_party", "activity", "party"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2), ForeignKey("parties.code"))
    activity: Mapped[str] = mapped_column(String(4))  # S1 … L7
    status: Mapped[str] = mapped_column(String(12))  # see service.STATUSES
    progress: Mapped[int] = mapped_column(Integer)  # percent, 0-100
    evidence: Mapped[str] = mapped_column(Text, default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(DateTime)


class ReviewSnapshot(Base):
    """The tracker as it stood at a semi-annual review (``period`` such as 2026-H2), frozen."""

    __tablename__ = "actionplan_snapshots"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2), ForeignKey("parties.code"))  # who took it
    period: Mapped[str] = mapped_column(String(7), unique=True)
    content: Mapped[str] = mapped_column(Text)  # JSON: statuses per Party and measured KPIs
    taken_by: Mapped[str] = mapped_column(String(80))
    taken_at: Mapped[datetime] = mapped_column(DateTime)
