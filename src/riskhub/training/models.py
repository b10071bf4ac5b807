"""Tables of the training: cohorts and their members, exercise attempts, training records."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from riskhub.db.base import Base, BigId


class Cohort(Base):
    """A group of trainees an instructor runs through some exercises; joined with its code."""

    __tablename__ = "training_cohorts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2), ForeignKey("parties.code"))  # instructor's
    name: Mapped[str] = mapped_column(String(120))
    join_code: Mapped[str] = mapped_column(String(12), unique=True)
    exercises: Mapped[str] = mapped_column(Text)  # JSON array of exercise codes
    instructor_id: Mapped[int] = mapped_column(BigId)
    instructor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class CohortMember(Base):
    """A trainee in a cohort: the row is the trainee's Party's (the cohort may be another's)."""

    __tablename__ = "training_members"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2), ForeignKey("parties.code"))
    cohort_id: Mapped[int] = mapped_column(ForeignKey("training_cohorts.id"))
    user_id: Mapped[int] = mapped_column(BigId)
    name: Mapped[str] = mapped_column(String(120))
    joined_at: Mapped[datetime] = mapped_column(DateTime)


class Attempt(Base):
    """One submission of profiles for an exercise, with its score against the planted truth."""

    __tablename__ = "training_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2), ForeignKey("parties.code"))  # the trainee's
    user_id: Mapped[int] = mapped_column(BigId)
    trainee: Mapped[str] = mapped_column(String(120))
    exercise: Mapped[str] = mapped_column(String(24))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("training_cohorts.id"))
    profiles: Mapped[str] = mapped_column(Text)  # JSON array of the profiles' YAML
    result: Mapped[str] = mapped_column(Text)  # JSON: the score and its parts
    score: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool] = mapped_column(Boolean)
    submitted_at: Mapped[datetime] = mapped_column(DateTime)


class TrainingRecord(Base):
    """Who completed which course or exercise, when, with what score (M6 counts them)."""

    __tablename__ = "training_records"
    __table_args__ = (UniqueConstraint("party", "person", "course", "completed_on"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    party: Mapped[str] = mapped_column(String(2), ForeignKey("parties.code"))
    person: Mapped[str] = mapped_column(String(120))  # an official's name: personal data
    agency: Mapped[str] = mapped_column(String(24))
    course: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10))  # course, exercise
    completed_on: Mapped[date] = mapped_column(Date)
    score: Mapped[float | None] = mapped_column(Float)
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
