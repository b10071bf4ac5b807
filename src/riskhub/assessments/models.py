"""The assessments table: one Party's answers to one questionnaire for one half-year."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from riskhub.db.base import Base, BigId


class AssessmentResponse(Base):
    """A Party's answers (a draft until submitted) and, once submitted, their scores.

    Submitted answers are kept as they were: the next half-year is a new row, so
    scores can be compared over time and across Parties.
    """

    __tablename__ = "assessment_responses"
    __table_args__ = (UniqueConstraint("party", "code", "period"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2), ForeignKey("parties.code"))
    code: Mapped[str] = mapped_column(String(20))  # the questionnaire
    version: Mapped[int] = mapped_column(Integer)  # ... and the version answered
    period: Mapped[str] = mapped_column(String(7))  # 2026-H2
    status: Mapped[str] = mapped_column(String(10))  # draft, submitted
    answers: Mapped[str] = mapped_column(Text)  # JSON: question key -> answer
    comments: Mapped[str] = mapped_column(Text)  # JSON: question key -> evidence or remark
    scores: Mapped[str | None] = mapped_column(Text)  # JSON, once submitted
    updated_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
