"""The job queue: queue once, claim exclusively under a lease, settle, retry with backoff.

A claim is one short transaction: the oldest due job is locked with ``FOR
UPDATE SKIP LOCKED`` on PostgreSQL (other workers skip it rather than wait;
on SQLite the transaction takes the write lock first, so claims happen one at
a time), marked running under this worker's name, and leased. Due means queued
and past ``run_after``, or running past its lease: the worker holding it died,
so another takes it over. Settling a job checks that the worker still holds it
(same name, same attempt): one that lost its lease can never overwrite the
outcome of the attempt that replaced it. The attempt number only ever grows (a
retried job keeps counting: ``requeue`` raises ``max_attempts`` instead of
resetting ``attempts``), so two workers of the same name can never share one.

Lease times come from the database's clock on PostgreSQL, where workers run on
several machines whose clocks may differ; on SQLite (one machine) from this
machine's clock.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, or_, select, update
from sqlalchemy.orm import Session

from riskhub.db.base import utcnow
from riskhub.db.upsert import insert_for
from riskhub.jobs import kinds
from riskhub.jobs.models import Job

STATUSES = ("queued", "running", "done", "failed")
MAX_ATTEMPTS = 3
LEASE_S = 60.0  # a live worker extends it every third of this; a dead one's job waits this long
RETRY_BASE_S = 60.0
RETRY_CAP_S = 3600.0
ERROR_CHARS = 2000


class KeyTaken(kinds.ParameterError):
    """The key given is another job's: a different kind, Party or parameters."""


@dataclass(frozen=True)
class Claimed:
    """A job a worker holds: what to run, and the attempt that fences its outcome."""

    id: int
    kind: str
    party: str
    parameters: dict[str, Any]
    attempt: int
    max_attempts: int


def enqueue(
    *, engine: Engine, kind: str, party: str, parameters: Mapping[str, Any],
    key: str | None = None, max_attempts: int = MAX_ATTEMPTS, run_after: datetime | None = None,
    enqueued_by: str = "cli", now: datetime | None = None,
) -> tuple[Job, bool]:  # fmt: skip
    """Queue a job after checking it; (the job, True) or, if its key is taken, (that job, False).

    The default key is the kind, Party, parameters and UTC day: the same job
    queued again that day (by a second cron host, say) is the one already there.
    A key that is already a different job's (another kind, Party or parameters)
    raises ``KeyTaken`` rather than keep the other job without a word. The day, and
    the time it is due from, are the database's on PostgreSQL (as leases are): two cron
    hosts whose clocks differ still make one job.
    """
    if now is None:
        with engine.connect() as conn:
            now = _clock(conn, None)
    found = kinds.kind_of(kind)
    stored = kinds.checked(found, party, parameters, today=now.date())
    text = json.dumps(stored, sort_keys=True, separators=(",", ":"))
    if key is None:
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        key = f"{kind}:{party}:{now.date()}:{digest}"
    if not 1 <= len(key) <= 200:
        raise kinds.ParameterError("a job key is 1 to 200 characters")
    if not 1 <= max_attempts <= 100:
        raise kinds.ParameterError("max attempts is 1 to 100")
    row = dict(kind=kind, party=party, parameters=text, dedupe_key=key, status="queued",
               attempts=0, max_attempts=max_attempts, run_after=run_after or now,
               enqueued_by=enqueued_by[:120], created_at=now)  # fmt: skip
    with Session(engine, expire_on_commit=False) as session, session.begin():
        statement = insert_for(session, Job).values(**row)
        new = session.execute(
            statement.on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(Job.id)
        ).scalar()
        job = session.scalars(select(Job).where(Job.dedupe_key == key)).one()
    if new is None and (job.kind, job.party, job.parameters) != (kind, party, text):
        raise KeyTaken(f"the key {key!r} is already job {job.id} ({job.kind} for {job.party} "
                       f"{job.parameters}, {job.status}): give this job another key")  # fmt: skip
    return job, new is not None


def _clock(conn: Connection | Session, now: datetime | None) -> datetime:
    """``now`` if given (tests); else the database's UTC time on PostgreSQL, this machine's else.

    On PostgreSQL it is the start of the current transaction: one time for the whole claim.
    """
    if now is not None:
        return now
    bind = conn.get_bind() if isinstance(conn, Session) else conn
    if bind.dialect.name == "postgresql":
        found = conn.scalar(select(func.timezone("utc", func.now())))
        assert isinstance(found, datetime)
        return found
    return utcnow()


def _due(now: datetime) -> Any:
    return or_(
        (Job.status == "queued") & (Job.run_after <= now),
        (Job.status == "running") & (Job.leased_until < now),
    )


def claim(
    *, engine: Engine, worker: str, lease_s: float = LEASE_S, now: datetime | None = None
) -> Claimed | None:
    """Take the oldest due job for ``worker`` under a lease; None when nothing is due."""
    writer = engine.execution_options(sqlite_immediate=True)
    with Session(writer, expire_on_commit=False) as session, session.begin():
        now = _clock(session, now)
        while True:
            job = session.scalars(
                select(Job).where(_due(now)).order_by(Job.run_after, Job.id).limit(1)
                .with_for_update(skip_locked=True)
            ).one_or_none()  # fmt: skip
            if job is None:
                return None
            if job.status == "running" and job.attempts >= job.max_attempts:
                # Its last attempt's worker died: nothing is left to try.
                job.status, job.finished_at, job.leased_until = "failed", now, None
                job.error = (f"worker {job.worker} stopped during attempt {job.attempts} of "
                             f"{job.max_attempts} (its lease ran out)")  # fmt: skip
                continue
            if job.status == "running":
                job.error = f"worker {job.worker} stopped during attempt {job.attempts}"
            job.status, job.attempts, job.worker = "running", job.attempts + 1, worker[:120]
            job.leased_until, job.started_at, job.finished_at = (
                now + timedelta(seconds=lease_s), now, None,
            )  # fmt: skip
            return Claimed(job.id, job.kind, job.party, json.loads(job.parameters), job.attempts,
                           job.max_attempts)  # fmt: skip


def _held(claimed: Claimed, worker: str) -> Any:
    return (
        (Job.id == claimed.id)
        & (Job.status == "running")
        & (Job.worker == worker[:120])
        & (Job.attempts == claimed.attempt)
    )


def extend(
    *, engine: Engine, claimed: Claimed, worker: str, lease_s: float = LEASE_S,
    now: datetime | None = None,
) -> bool:  # fmt: skip
    """Push the lease of a job ``worker`` still holds; False if it holds it no more."""
    with engine.begin() as conn:
        until = _clock(conn, now) + timedelta(seconds=lease_s)
        moved = conn.execute(update(Job).where(_held(claimed, worker)).values(leased_until=until))
    return bool(moved.rowcount)


def finish(
    *, engine: Engine, claimed: Claimed, worker: str, result: str, now: datetime | None = None
) -> bool:
    """Mark a held job done with what it did; False if ``worker`` no longer held it."""
    with engine.begin() as conn:
        values = dict(status="done", result=result[:ERROR_CHARS], error=None, leased_until=None,
                      finished_at=_clock(conn, now))  # fmt: skip
        done = conn.execute(update(Job).where(_held(claimed, worker)).values(**values))
    return bool(done.rowcount)


def backoff(
    attempt: int, *, base_s: float = RETRY_BASE_S, rng: random.Random | None = None
) -> float:
    """Seconds before trying again after failed attempt ``attempt``: doubling, capped, jittered."""
    ceiling = min(RETRY_CAP_S, base_s * 2 ** max(attempt - 1, 0))
    return float(ceiling * (0.5 + 0.5 * (rng or random).random()))


def fail(
    *, engine: Engine, claimed: Claimed, worker: str, error: str, permanent: bool = False,
    retry_base_s: float = RETRY_BASE_S, now: datetime | None = None,
) -> str:  # fmt: skip
    """Record a failed attempt: queued again after a backoff, or failed for good; the status."""
    last = permanent or claimed.attempt >= claimed.max_attempts
    values: dict[str, Any] = dict(error=error[:ERROR_CHARS], leased_until=None)
    with engine.begin() as conn:
        now = _clock(conn, now)
        if last:
            values.update(status="failed", finished_at=now)
        else:
            wait = timedelta(seconds=backoff(claimed.attempt, base_s=retry_base_s))
            values.update(status="queued", run_after=now + wait)
        changed = conn.execute(update(Job).where(_held(claimed, worker)).values(**values))
    if not changed.rowcount:
        return "lost"
    return str(values["status"])


def requeue(
    *, engine: Engine, job_id: int, attempts: int = MAX_ATTEMPTS, now: datetime | None = None
) -> bool:
    """Queue a failed job again for ``attempts`` more tries (an operator fixed the cause).

    The attempts already made stay counted and ``max_attempts`` grows by ``attempts``: an
    attempt number is never used twice for one job, so the worker of an earlier attempt
    (still running somewhere, perhaps under the same name) cannot settle a later one.
    """
    if not 1 <= attempts <= 100:
        raise kinds.ParameterError("attempts is 1 to 100")
    with engine.begin() as conn:
        changed = conn.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "failed")
            .values(
                status="queued",
                max_attempts=Job.attempts + attempts,
                run_after=_clock(conn, now),
                finished_at=None,
            )
        )
    return bool(changed.rowcount)


def due(*, engine: Engine, now: datetime | None = None) -> int:
    """Jobs a worker could claim now."""
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).where(_due(_clock(session, now)))) or 0)


def listed(
    *, engine: Engine, status: str | None = None, kind: str | None = None,
    party: str | None = None, limit: int = 50,
) -> list[Job]:  # fmt: skip
    """The newest jobs first, optionally of one status, kind or Party."""
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    for column, value in ((Job.status, status), (Job.kind, kind), (Job.party, party)):
        if value is not None:
            query = query.where(column == value)
    with Session(engine, expire_on_commit=False) as session:
        return list(session.scalars(query))
