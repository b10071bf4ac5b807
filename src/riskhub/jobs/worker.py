"""A job worker: claim a due job, run it while keeping its lease, record what came of it.

Any number of workers may run at once, on one machine or several; the claims
in ``service`` make each job theirs alone. While a job runs, a thread extends
its lease every third of the lease, so a long retraining is never taken over
from a live worker; only a worker that stopped (killed, machine gone, cut off
from the database longer than the lease) lets its job go to another.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from sqlalchemy import Engine

from riskhub.jobs import kinds, service
from riskhub.jobs.service import Claimed

log = structlog.get_logger(__name__)


def sees_every_party(engine: Engine) -> bool:
    """Whether the engine's role reads every Party's rows (on PostgreSQL: bypasses RLS).

    A worker whose role is subject to row-level security finds no job and no data, and
    would idle without a word; the ``worker`` command refuses to start instead.
    """
    if engine.dialect.name != "postgresql":
        return True
    with engine.connect() as conn:
        return bool(
            conn.exec_driver_sql(
                "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
            ).scalar_one()
        )


def default_name() -> str:
    """This worker's name in the job rows: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Outcome:
    """One job a worker ran: its id and kind, and done / queued (to retry) / failed / lost."""

    job_id: int
    kind: str
    party: str
    status: str
    said: str  # the result, or the error


def run_one(
    *, engine: Engine, worker: str, lease_s: float = service.LEASE_S,
    retry_base_s: float = service.RETRY_BASE_S,
) -> Outcome | None:  # fmt: skip
    """Claim one due job and run it to its end; None when nothing is due."""
    claimed = service.claim(engine=engine, worker=worker, lease_s=lease_s)
    if claimed is None:
        return None
    stop = threading.Event()
    keeper = threading.Thread(
        target=_keep_lease, args=(engine, claimed, worker, lease_s, stop), daemon=True
    )
    keeper.start()
    failure: str | None = None
    permanent = False
    try:
        said = _run(engine, claimed)
    except kinds.Permanent as error:
        said = failure = str(error)
        permanent = True
    except Exception as error:  # any failure is recorded on the job, then retried or kept
        said = failure = f"{type(error).__name__}: {error}"
    finally:
        stop.set()
        keeper.join()
    if failure is None:
        status = "done" if service.finish(engine=engine, claimed=claimed, worker=worker,
                                          result=said) else "lost"  # fmt: skip
    else:
        status = service.fail(engine=engine, claimed=claimed, worker=worker, error=failure,
                              permanent=permanent, retry_base_s=retry_base_s)  # fmt: skip
    if status == "lost":
        # Another worker took the job over after this one's lease ran out: its outcome stands.
        log.warning("job_lease_lost", job=claimed.id, kind=claimed.kind, worker=worker)
    return Outcome(claimed.id, claimed.kind, claimed.party, status, said)


def _run(engine: Engine, claimed: Claimed) -> str:
    kind = kinds.KINDS.get(claimed.kind)
    if kind is None:  # queued by a newer riskhub than this worker's
        raise kinds.Permanent(f"this worker does not know the job kind {claimed.kind!r}")
    parameters = kinds.parsed(kind, claimed.parameters)
    return kind.run(engine=engine, party=claimed.party, parameters=parameters)


def _keep_lease(
    engine: Engine, claimed: Claimed, worker: str, lease_s: float, stop: threading.Event
) -> None:
    while not stop.wait(lease_s / 3):
        try:
            held = service.extend(engine=engine, claimed=claimed, worker=worker, lease_s=lease_s)
        except Exception as error:  # the database is away: try again at the next beat
            log.warning("job_lease_not_extended", job=claimed.id, reason=str(error))
            continue
        if not held:
            log.warning("job_lease_lost", job=claimed.id, kind=claimed.kind, worker=worker)
            return


def run(
    *, engine: Engine, worker: str, once: bool = False, until_idle: bool = False,
    poll_s: float = 5.0, lease_s: float = service.LEASE_S,
    retry_base_s: float = service.RETRY_BASE_S,
    on_job: Callable[[Outcome], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> Counter[str]:  # fmt: skip
    """Run jobs until stopped; ``once``: at most one; ``until_idle``: until none is due.

    A job queued to retry later is not due yet: ``until_idle`` stops before it.
    """
    total: Counter[str] = Counter()
    while not should_stop():
        try:
            outcome = run_one(engine=engine, worker=worker, lease_s=lease_s,
                              retry_base_s=retry_base_s)  # fmt: skip
        except Exception as error:  # the database is away: wait, then claim again
            log.warning("job_claim_failed", worker=worker, reason=str(error))
            outcome = None
            if once or until_idle:
                raise
        if outcome is not None:
            total[outcome.status] += 1
            if on_job:
                on_job(outcome)
        if once:
            break
        if outcome is None:
            if until_idle:
                break
            _sleep(poll_s, should_stop)
    return total


def _sleep(seconds: float, should_stop: Callable[[], bool]) -> None:
    # In short steps, so that a stop request is seen soon after it comes.
    deadline = time.monotonic() + seconds
    while not should_stop() and time.monotonic() < deadline:
        time.sleep(min(0.1, max(deadline - time.monotonic(), 0)))
