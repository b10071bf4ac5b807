"""The job queue: queued once, claimed by one worker, taken over after a lease, retried, failed."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.jobs import kinds, service
from riskhub.jobs import worker as workers
from riskhub.jobs.models import Job
from riskhub.settings import get_settings

NOW = datetime(2026, 12, 1, 9, 0, 0)


def jobs(engine: Engine) -> list[Job]:
    with Session(engine) as session:
        return list(session.scalars(select(Job).order_by(Job.id)))


def test_the_same_job_queued_twice_is_one_job(engine: Engine) -> None:
    first, new = service.enqueue(engine=engine, kind="rollup", party="RS", parameters={}, now=NOW)
    again, new_again = service.enqueue(engine=engine, kind="rollup", party="RS", parameters={},
                                       now=NOW + timedelta(hours=3))  # fmt: skip
    assert (new, new_again, again.id) == (True, False, first.id)
    # Parameters are compared as what they mean, not as typed: days resolve to dates.
    window = {"since": "2026-11-01", "until": "2026-11-30"}
    a, _ = service.enqueue(engine=engine, kind="retrain", party="RS", parameters=window, now=NOW)
    b, new_b = service.enqueue(engine=engine, kind="retrain", party="RS", parameters={"days": 30},
                               now=NOW)  # fmt: skip
    assert (b.id, new_b) == (a.id, False)
    # Another Party, another day, or other parameters: other jobs.
    others = [
        service.enqueue(engine=engine, kind="rollup", party="MK", parameters={}, now=NOW),
        service.enqueue(engine=engine, kind="rollup", party="RS", parameters={},
                        now=NOW + timedelta(days=1)),
        service.enqueue(engine=engine, kind="retrain", party="RS", parameters={"days": 60},
                        now=NOW),
    ]  # fmt: skip
    assert all(new for _, new in others)
    # An explicit key is the whole identity: a monthly job queued daily exists once a month.
    monthly = [service.enqueue(engine=engine, kind="rollup", party="AL", parameters={},
                               key="rollup-AL-2026-12", now=NOW + timedelta(days=d))[1]
               for d in range(3)]  # fmt: skip
    assert monthly == [True, False, False]
    assert len(jobs(engine)) == 6
    stored = {j.id: j for j in jobs(engine)}[a.id]
    assert (stored.status, stored.attempts, stored.parameters) == (
        "queued", 0, '{"by":"jobs","since":"2026-11-01","until":"2026-11-30"}')  # fmt: skip


def test_two_hosts_queueing_at_once_make_one_job(engine: Engine) -> None:
    barrier, made, failed = threading.Barrier(6), [], []

    def cron_host() -> None:
        barrier.wait()
        try:
            job, new = service.enqueue(engine=engine, kind="review", party="XS",
                                       parameters={"period": "2026h2"}, now=NOW)  # fmt: skip
            made.append((job.id, new))
        except Exception as error:
            failed.append(repr(error))

    threads = [threading.Thread(target=cron_host) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == []
    assert len({job_id for job_id, _ in made}) == 1 and sum(new for _, new in made) == 1
    assert len(jobs(engine)) == 1


@pytest.mark.parametrize(
    ("kind", "party", "parameters", "said"),
    [
        ("reindex", "RS", {}, "no job kind 'reindex'; the kinds are retrain, review, rollup"),
        ("rollup", "XS", {}, "a rollup job is not for Party 'XS'"),
        ("review", "QQ", {"period": "2026"}, "a review job is not for Party 'QQ'"),
        ("rollup", "RS", {"since": "2026-01-01"},
         "rollup: unknown parameter 'since' (rollup takes no parameters)"),
        ("retrain", "RS", {"since": "2026-01-01"},
         "retrain: give since and until (YYYY-MM-DD), or days"),
        ("retrain", "RS", {"since": "2026-02-01", "until": "2026-01-01"},
         "retrain: until is before since"),
        ("retrain", "RS", {"days": 30, "since": "2026-01-01", "until": "2026-01-31"},
         "retrain: give either days, or since and until, not both"),
        ("retrain", "RS", {"days": "many"}, "retrain: days: Input should be a valid integer"),
        ("retrain", "RS", {"since": "June", "until": "2026-07-01"},
         "retrain: since: Input should be a valid date"),
        ("retrain", "RS", {"days": 30, "model": "x"},
         "retrain: unknown parameter 'model' (retrain takes since, until, days, by)"),
        ("review", "RS", {}, "review: period: Field required"),
        ("review", "RS", {"period": "2026H3"},
         "review: period: '2026H3' is not a period: write e.g. 2026H1, 2026H2 or 2026"),
        ("review", "RS", {"period": "2026", "format": "docx"},
         "review: format: Input should be 'html' or 'pdf'"),
    ],
)  # fmt: skip
def test_bad_jobs_are_refused_saying_why(
    engine: Engine, kind: str, party: str, parameters: dict[str, Any], said: str
) -> None:
    with pytest.raises(kinds.ParameterError) as refused:
        service.enqueue(engine=engine, kind=kind, party=party, parameters=parameters, now=NOW)
    assert str(refused.value).startswith(said)
    assert jobs(engine) == []


def test_a_bad_key_or_attempt_count_is_refused(engine: Engine) -> None:
    for options, said in (({"key": ""}, "a job key is 1 to 200 characters"),
                          ({"key": "k" * 201}, "a job key is 1 to 200 characters"),
                          ({"max_attempts": 0}, "max attempts is 1 to 100")):  # fmt: skip
        with pytest.raises(kinds.ParameterError, match=said):
            service.enqueue(engine=engine, kind="rollup", party="RS", parameters={}, **options)
    assert jobs(engine) == []


def test_each_job_is_claimed_by_one_worker_only(engine: Engine) -> None:
    # Six workers claim at once (threads with their own connections: separate transactions on
    # PostgreSQL, as separate processes would be); every job goes to exactly one of them.
    for party in ("AL", "BA", "MD", "ME", "MK", "RS", "XK"):
        for month in range(1, 7):
            service.enqueue(engine=engine, kind="rollup", party=party, parameters={},
                            key=f"rollup-{party}-{month}", now=NOW)  # fmt: skip
    barrier = threading.Barrier(6)
    claimed: dict[str, list[int]] = {f"w{i}": [] for i in range(6)}
    failed: list[str] = []

    def work(name: str) -> None:
        barrier.wait()
        try:
            while (job := service.claim(engine=engine, worker=name, now=NOW)) is not None:
                claimed[name].append(job.id)
        except Exception as error:
            failed.append(repr(error))

    threads = [threading.Thread(target=work, args=(name,)) for name in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == []
    every = [job_id for ids in claimed.values() for job_id in ids]
    assert sorted(every) == [j.id for j in jobs(engine)] and len(every) == 42
    for job in jobs(engine):
        assert (job.status, job.attempts) == ("running", 1)
        assert job.id in claimed[str(job.worker)]


def test_a_dead_workers_job_is_taken_over_when_its_lease_ends(engine: Engine) -> None:
    service.enqueue(engine=engine, kind="rollup", party="RS", parameters={}, now=NOW)
    first = service.claim(engine=engine, worker="a", lease_s=60, now=NOW)
    assert first is not None and first.attempt == 1
    # While a holds it, nobody else gets it.
    assert service.claim(engine=engine, worker="b", now=NOW + timedelta(seconds=59)) is None
    # a stops beating; after the lease, b takes it over as the second attempt.
    later = NOW + timedelta(seconds=61)
    second = service.claim(engine=engine, worker="b", lease_s=60, now=later)
    assert second is not None and (second.id, second.attempt) == (first.id, 2)
    (job,) = jobs(engine)
    assert (job.status, job.worker, job.error) == ("running", "b",
                                                   "worker a stopped during attempt 1")  # fmt: skip
    # a comes back to life: it can neither extend nor settle what is no longer its.
    assert not service.extend(engine=engine, claimed=first, worker="a", now=later)
    assert not service.finish(engine=engine, claimed=first, worker="a", result="a's", now=later)
    assert service.fail(engine=engine, claimed=first, worker="a", error="x", now=later) == "lost"
    assert service.finish(engine=engine, claimed=second, worker="b", result="b's", now=later)
    (job,) = jobs(engine)
    assert (job.status, job.worker, job.attempts, job.result, job.error) == (
        "done", "b", 2, "b's", None)  # fmt: skip


def test_a_job_whose_last_attempts_worker_died_is_failed(engine: Engine) -> None:
    service.enqueue(engine=engine, kind="rollup", party="RS", parameters={}, max_attempts=1,
                    now=NOW)  # fmt: skip
    assert service.claim(engine=engine, worker="a", lease_s=60, now=NOW) is not None
    assert service.claim(engine=engine, worker="b", now=NOW + timedelta(minutes=2)) is None
    (job,) = jobs(engine)
    assert (job.status, job.attempts) == ("failed", 1)
    assert job.error == "worker a stopped during attempt 1 of 1 (its lease ran out)"


def test_a_failing_job_is_retried_with_backoff_then_stays_failed(engine: Engine) -> None:
    # The reports folder is a file: writing the review fails on every attempt.
    reports = get_settings().data_dir / "reports"
    reports.parent.mkdir(parents=True, exist_ok=True)
    reports.write_text("not a folder")
    job, _ = service.enqueue(engine=engine, kind="review", party="RS",
                             parameters={"period": "2026H1"}, max_attempts=3)  # fmt: skip
    seen = []
    for _ in range(3):
        outcome = _run_when_due(engine)
        seen.append(outcome.status)
        (row,) = jobs(engine)
        if outcome.status == "queued":
            # Not due again until its backoff has passed.
            assert row.run_after > row.created_at and row.leased_until is None
            assert service.claim(engine=engine, worker="peek", now=row.run_after
                                 - timedelta(microseconds=1)) is None  # fmt: skip
    assert seen == ["queued", "queued", "failed"]
    (row,) = jobs(engine)
    assert (row.status, row.attempts, row.finished_at is not None) == ("failed", 3, True)
    assert row.error and row.error.startswith(("NotADirectoryError", "FileExistsError"))
    assert _run_when_due(engine, wait_s=0.05) is None  # failed stays failed
    # The operator fixes the folder and queues it again: it runs.
    reports.unlink()
    assert service.requeue(engine=engine, job_id=job.id)
    assert not service.requeue(engine=engine, job_id=job.id)  # queued, not failed
    done = _run_when_due(engine)
    assert done is not None and done.status == "done"
    assert (reports / "review-2026H1-RS.html").exists()


def test_what_retrying_cannot_fix_fails_at_once(engine: Engine) -> None:
    service.enqueue(engine=engine, kind="retrain", party="MK", parameters={"days": 30})
    outcome = _run_when_due(engine)
    assert outcome is not None and outcome.status == "failed"
    (row,) = jobs(engine)
    assert row.attempts == 1 and row.error == (
        "MK has 0 inspected declarations in the period; training needs at least 100 rows "
        "with and without findings")  # fmt: skip


def test_a_worker_keeps_its_lease_while_a_long_job_runs(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, release = threading.Event(), threading.Event()

    def slow(**_: Any) -> str:
        started.set()
        release.wait(30)
        return "slow rollup done"

    # The real kind's work replaced by one that takes longer than several leases.
    real = kinds.KINDS["rollup"]
    monkeypatch.setitem(kinds.KINDS, "rollup", kinds.Kind("rollup", "slow", real.parameters,
                                                          real.parties, slow))  # fmt: skip
    service.enqueue(engine=engine, kind="rollup", party="RS", parameters={})
    got: list[workers.Outcome | None] = []
    runner = threading.Thread(target=lambda: got.append(
        workers.run_one(engine=engine, worker="long", lease_s=1.5)))  # fmt: skip
    runner.start()
    assert started.wait(30)
    taken = []
    for _ in range(8):  # about four leases: each look finds the job still held
        time.sleep(0.5)
        taken.append(service.claim(engine=engine, worker="other"))
    release.set()
    runner.join(30)
    assert taken == [None] * 8
    assert got and got[0] is not None and got[0].status == "done"
    (row,) = jobs(engine)
    assert (row.status, row.attempts, row.worker, row.result) == (
        "done", 1, "long", "slow rollup done")  # fmt: skip


def _run_when_due(engine: Engine, wait_s: float = 5.0) -> workers.Outcome | None:
    """Run the next job as soon as one is due (the backoffs here are milliseconds)."""
    deadline = time.monotonic() + wait_s
    while True:
        outcome = workers.run_one(engine=engine, worker="w", retry_base_s=0.01)
        if outcome is not None or time.monotonic() > deadline:
            return outcome
        time.sleep(0.01)


def test_a_review_is_written_under_the_data_folder_by_its_period_label() -> None:
    path = kinds.review_path("RS", kinds.ReviewParameters(period=" 2026h1 ", format="pdf"))
    assert path == get_settings().data_dir / "reports" / "review-2026H1-RS.pdf"


def test_the_api_role_can_neither_read_nor_queue_jobs(engine: Engine, app_engine: Engine) -> None:
    if app_engine.dialect.name != "postgresql":
        pytest.skip("roles and grants are PostgreSQL's; on SQLite no route touches jobs either")
    from sqlalchemy.exc import ProgrammingError

    service.enqueue(engine=engine, kind="rollup", party="RS", parameters={})
    with pytest.raises(ProgrammingError, match="permission denied"):
        service.listed(engine=app_engine)
    with pytest.raises(ProgrammingError, match="permission denied"):
        service.enqueue(engine=app_engine, kind="rollup", party="MK", parameters={})
    assert [j.party for j in jobs(engine)] == ["RS"]


def test_a_retried_job_keeps_counting_so_an_earlier_attempt_cannot_settle_it(
    engine: Engine,
) -> None:
    # Two hosts run a worker under the same name (--name worker in a replicated service).
    job, _ = service.enqueue(engine=engine, kind="rollup", party="RS", parameters={},
                             max_attempts=1, now=NOW)  # fmt: skip
    old = service.claim(engine=engine, worker="worker", lease_s=1, now=NOW)
    assert old is not None and old.attempt == 1
    later = NOW + timedelta(seconds=5)
    # Its lease ran out (the first host is cut off, still running): the job is failed.
    assert service.claim(engine=engine, worker="other", now=later) is None
    assert service.requeue(engine=engine, job_id=job.id, attempts=2, now=later)
    (row,) = jobs(engine)
    assert (row.status, row.attempts, row.max_attempts) == ("queued", 1, 3)
    new = service.claim(engine=engine, worker="worker", now=later)
    assert new is not None and new.attempt == 2
    # The first host comes back: same name, but not the same attempt.
    assert not service.extend(engine=engine, claimed=old, worker="worker", now=later)
    assert not service.finish(engine=engine, claimed=old, worker="worker", result="stale",
                              now=later)  # fmt: skip
    assert service.fail(engine=engine, claimed=old, worker="worker", error="x", now=later) == (
        "lost")  # fmt: skip
    assert service.finish(engine=engine, claimed=new, worker="worker", result="fresh", now=later)
    (row,) = jobs(engine)
    assert (row.status, row.attempts, row.result) == ("done", 2, "fresh")
    with pytest.raises(kinds.ParameterError, match="attempts is 1 to 100"):
        service.requeue(engine=engine, job_id=job.id, attempts=0)


def test_a_worker_whose_clock_runs_fast_cannot_take_a_live_job(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("on SQLite every worker is on one machine, with one clock")
    service.enqueue(engine=engine, kind="rollup", party="RS", parameters={})
    held = service.claim(engine=engine, worker="a", lease_s=60)
    assert held is not None
    # b's host runs 61 s fast (no NTP there): leases are the database's time, not b's.
    monkeypatch.setattr(service, "utcnow", lambda: datetime.now(UTC).replace(tzinfo=None)
                        + timedelta(seconds=61))  # fmt: skip
    assert service.claim(engine=engine, worker="b") is None
    assert service.extend(engine=engine, claimed=held, worker="a")
    (row,) = jobs(engine)
    assert row.leased_until is not None and row.leased_until < service.utcnow()
    assert service.finish(engine=engine, claimed=held, worker="a", result="a's")
    # A job b's host queues is due at once, on the database's clock, not in 61 s.
    service.enqueue(engine=engine, kind="rollup", party="AL", parameters={})
    queued = service.claim(engine=engine, worker="b")
    assert queued is not None and queued.party == "AL"


def test_a_key_that_is_another_jobs_is_refused(engine: Engine) -> None:
    first, _ = service.enqueue(engine=engine, kind="rollup", party="RS", parameters={},
                               key="nightly")  # fmt: skip
    for kind, party, parameters in [("retrain", "RS", {"days": 30}), ("rollup", "AL", {})]:
        with pytest.raises(service.KeyTaken, match=f"the key 'nightly' is already job {first.id}"):
            service.enqueue(engine=engine, kind=kind, party=party, parameters=parameters,
                            key="nightly")  # fmt: skip
    same, new = service.enqueue(engine=engine, kind="rollup", party="RS", parameters={},
                                key="nightly")  # fmt: skip
    assert (same.id, new) == (first.id, False)
    assert [(j.kind, j.party) for j in jobs(engine)] == [("rollup", "RS")]


def test_the_job_table_works_in_a_process_that_imported_only_the_queue() -> None:
    # A library user (a script claiming jobs) imports the queue alone: the table that
    # jobs refer to must come with it.
    code = (
        "from riskhub.jobs import service\n"
        "from riskhub.jobs.models import Job\n"
        "print([fk.column.table.name for fk in Job.__table__.foreign_keys])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "['parties']"


def test_the_worker_refuses_a_role_that_row_level_security_hides_jobs_from(
    engine: Engine, app_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("row-level security is PostgreSQL's")
    from typer.testing import CliRunner

    from riskhub.cli import app
    from riskhub.cli import jobs as jobs_cli

    assert workers.sees_every_party(engine) and not workers.sees_every_party(app_engine)
    monkeypatch.setattr(jobs_cli, "ready_engine", lambda: app_engine)
    refused = CliRunner().invoke(app, ["worker", "--once"])
    said = " ".join(refused.output.split())
    assert refused.exit_code == 1, refused.output
    assert f"The worker's database role {app_engine.url.username} is subject to row-level" in said
    assert "BYPASSRLS" in said
