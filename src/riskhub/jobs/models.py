"""The job queue's table: one row per piece of background work, from queued to done or failed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from riskhub.access import models as _access  # noqa: F401  (the parties table jobs refer to)
from riskhub.db.base import Base, BigId


class Job(Base):
    """A job: what to run (kind, Party, parameters), its state, and what came of it.

    ``status`` goes queued -> running -> done, or back to queued to retry after
    ``run_after`` when an attempt failed, or to failed after ``max_attempts``. A
    running job's worker holds it until ``leased_until`` and keeps extending that
    while it works; a job still running past its lease is claimed again.
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_run_after", "status", "run_after"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    party: Mapped[str] = mapped_column(String(2), ForeignKey("parties.code"))
    parameters: Mapped[str] = mapped_column(Text)  # JSON object, keys sorted
    # The same work queued twice (two cron hosts, a command run again) is one job.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    run_after: Mapped[datetime] = mapped_column(DateTime)
    leased_until: Mapped[datetime | None] = mapped_column(DateTime)
    worker: Mapped[str | None] = mapped_column(String(120))  # who runs (or last ran) it
    enqueued_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)  # of the latest attempt
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    result: Mapped[str | None] = mapped_column(Text)  # what it did, in plain words
    error: Mapped[str | None] = mapped_column(Text)  # why the latest attempt failed
