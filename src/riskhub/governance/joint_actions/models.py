"""Tables of joint enforcement actions and the results each participating Party reports."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from riskhub.db.base import Base, BigId


class JointAction(Base):
    """A joint enforcement action: planned by a Party, validated and closed by the RMWG."""

    __tablename__ = "joint_actions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2))  # the proposing Party
    title: Mapped[str] = mapped_column(String(200))
    goal: Mapped[str] = mapped_column(Text)
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    participants: Mapped[str] = mapped_column(Text)  # JSON array of Party codes (CEFTA, EU)
    agencies: Mapped[str] = mapped_column(Text)  # JSON array of agency names
    profiles: Mapped[str] = mapped_column(Text)  # JSON array of profile codes
    rifs: Mapped[str] = mapped_column(Text)  # JSON array of RIF ids (no foreign key: by design)
    status: Mapped[str] = mapped_column(String(10))  # planned, validated, rejected, closed
    decision_note: Mapped[str] = mapped_column(Text, default="")  # validation comment or reason
    decided_by: Mapped[str | None] = mapped_column(String(160))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    summary: Mapped[str] = mapped_column(Text, default="")  # the RMWG's closing summary
    closed_by: Mapped[str | None] = mapped_column(String(160))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_by: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class JointActionReport(Base):
    """What one participating Party's controls found during the action; one per Party."""

    __tablename__ = "joint_action_reports"
    __table_args__ = (UniqueConstraint("action_id", "party"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("joint_actions.id", ondelete="CASCADE"))
    party: Mapped[str] = mapped_column(String(2))  # the reporting Party
    version: Mapped[int] = mapped_column(Integer, default=1)  # 2 and up: amended
    controls: Mapped[int] = mapped_column(Integer)
    detections: Mapped[int] = mapped_column(Integer)
    seized_quantity: Mapped[float | None] = mapped_column(Float)
    seized_unit: Mapped[str | None] = mapped_column(String(10))
    seized_value_eur: Mapped[float] = mapped_column(Float, default=0.0)
    comment: Mapped[str] = mapped_column(Text, default="")
    reported_by: Mapped[int | None] = mapped_column(BigId)
    reported_at: Mapped[datetime] = mapped_column(DateTime)
    amended_at: Mapped[datetime | None] = mapped_column(DateTime)
