"""Each kind of job does its real work; the commands queue, list and run jobs."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from riskhub.cli import app
from riskhub.db.tenancy import acting_for
from riskhub.jobs import kinds, service
from riskhub.jobs import worker as workers
from riskhub.jobs.models import Job
from riskhub.kpis.models import KpiDay
from riskhub.settings import get_settings
from riskhub.targeting import registry
from tests.jobs.support import decided, inspect_all

runner = CliRunner()


def only_job(engine: Engine) -> Job:
    with Session(engine) as session:
        return session.scalars(select(Job)).one()


def rollup_rows(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(KpiDay).order_by(KpiDay.day, KpiDay.office,
                                                                       KpiDay.channel))]  # fmt: skip


def test_retrain_registers_a_model_trained_on_the_inspections(engine: Engine) -> None:
    ids = decided(engine, 120, random_rate=1.0)
    inspect_all(engine, ids)
    service.enqueue(engine=engine, kind="retrain", party="RS",
                    parameters={"since": "2026-06-01", "until": "2026-06-10", "by": "monthly"})  # fmt: skip
    outcome = workers.run_one(engine=engine, worker="w")
    assert outcome is not None and outcome.status == "done", outcome
    with acting_for("RS"), Session(engine) as session:
        (version,) = registry.versions(session=session, party="RS")
    assert (version.version, version.status, version.trained_by) == (1, "candidate", "monthly")
    assert json.loads(version.metrics)["inspected_declarations"] == 120
    job = only_job(engine)
    assert job.status == "done" and job.result is not None
    assert job.result.startswith("RS model v1 registered (a candidate: approve it to serve)")


def test_rollup_rebuilds_a_partys_kpi_rows(engine: Engine) -> None:
    decided(engine, 30)
    before = rollup_rows(engine)
    assert before  # kept up to date as the decisions were stored
    with engine.begin() as conn:  # as after restoring a backup without the rollup
        conn.execute(delete(KpiDay).where(KpiDay.party == "RS"))
    service.enqueue(engine=engine, kind="rollup", party="RS", parameters={})
    outcome = workers.run_one(engine=engine, worker="w")
    assert outcome is not None and outcome.status == "done"
    assert rollup_rows(engine) == before
    assert only_job(engine).result == f"RS KPI rollup rebuilt: {len(before)} rows"


def test_review_writes_the_report_under_the_data_folder(engine: Engine) -> None:
    decided(engine, 30)
    service.enqueue(engine=engine, kind="review", party="RS", parameters={"period": "2026h1"})
    service.enqueue(engine=engine, kind="review", party="XS", parameters={"period": "2026H1"})
    done = workers.run(engine=engine, worker="w", until_idle=True)
    assert done == {"done": 2}
    reports = get_settings().data_dir / "reports"
    assert sorted(p.name for p in reports.iterdir()) == [
        "review-2026H1-RS.html", "review-2026H1-XS.html"]  # fmt: skip
    page = (reports / "review-2026H1-RS.html").read_text(encoding="utf-8")
    assert "2026H1" in page and "<svg" in page
    with Session(engine) as session:
        results = session.scalars(select(Job.result).order_by(Job.id)).all()
    assert results == [
        f"review 2026H1 (30 declarations) written to {reports / 'review-2026H1-RS.html'}",
        f"review 2026H1 (30 declarations) written to {reports / 'review-2026H1-XS.html'}",
    ]


def test_the_commands_queue_list_and_run_jobs(engine: Engine) -> None:
    decided(engine, 10)
    added = runner.invoke(app, ["jobs", "add", "rollup", "--party", "rs"])
    assert added.exit_code == 0 and "Job 1 queued: rollup for RS" in added.output
    again = runner.invoke(app, ["jobs", "add", "rollup", "--party", "RS"])
    assert again.exit_code == 0 and "Job 1 was already queued" in again.output
    review = runner.invoke(app, ["jobs", "add", "review", "--party", "RS", "-p", "period=2026H1",
                                 "-p", "format=html", "--key", "review-RS-2026H1"])  # fmt: skip
    assert review.exit_code == 0, review.output
    listed = runner.invoke(app, ["jobs", "list", "--json"])
    assert listed.exit_code == 0
    rows = [json.loads(line) for line in listed.output.splitlines()]
    # Newest first (a refused duplicate may use up an id on PostgreSQL: ids are not counted).
    assert [(r["kind"], r["party"], r["status"]) for r in rows] == [("review", "RS", "queued"),
                                                                    ("rollup", "RS", "queued")]  # fmt: skip
    assert rows[0]["parameters"] == {"format": "html", "period": "2026H1"}
    ran = runner.invoke(app, ["worker", "--until-idle", "--name", "cli-worker"])
    assert ran.exit_code == 0, ran.output
    assert "Worker cli-worker stopped: done 2." in " ".join(ran.output.split())
    finished = runner.invoke(app, ["jobs", "list", "--status", "done", "--json"])
    assert [json.loads(line)["worker"] for line in finished.output.splitlines()] == [
        "cli-worker", "cli-worker"]  # fmt: skip
    nothing = runner.invoke(app, ["worker", "--once"])
    assert nothing.exit_code == 0 and "no jobs run" in nothing.output


def test_the_commands_refuse_bad_jobs_plainly(engine: Engine) -> None:
    cases = [
        (["jobs", "add", "reindex", "--party", "RS"], "no job kind 'reindex'"),
        (["jobs", "add", "rollup", "--party", "QQ"], "a rollup job is not for Party 'QQ'"),
        (["jobs", "add", "review", "--party", "RS", "-p", "2026H1"],
         "a parameter is NAME=VALUE, not '2026H1'"),
        (["jobs", "add", "review", "--party", "RS", "-p", "period=2026", "-p", "period=2027"],
         "parameter 'period' is given twice"),
        (["jobs", "add", "retrain", "--party", "RS", "-p", "days=3"],
         "retrain: days: Input should be greater than or equal to 7"),
        (["jobs", "list", "--status", "stuck"], "--status is one of queued, running, done, failed"),
    ]  # fmt: skip
    for args, said in cases:
        done = runner.invoke(app, args)
        assert done.exit_code == 2, (args, done.output)
        assert said in " ".join(done.output.split()), (args, done.output)
    missing = runner.invoke(app, ["jobs", "retry", "99"])
    assert missing.exit_code == 1 and "no failed job 99" in missing.output
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Job)).scalar_one() == 0


def test_adding_a_job_says_what_became_of_the_one_already_there(engine: Engine) -> None:
    first = runner.invoke(app, ["jobs", "add", "rollup", "--party", "RS", "--key", "nightly"])
    assert first.exit_code == 0, first.output
    # The key is another job's: refused, and nothing changes.
    taken = runner.invoke(app, ["jobs", "add", "rollup", "--party", "AL", "--key", "nightly"])
    said = " ".join(taken.output.split())
    assert taken.exit_code == 2, taken.output
    assert "the key 'nightly' is already job 1 (rollup for RS {}, queued)" in said
    assert "give this job another key" in said
    queued = runner.invoke(app, ["jobs", "add", "rollup", "--party", "RS", "--key", "nightly"])
    assert queued.exit_code == 0 and "Job 1 was already queued with key nightly" in queued.output
    ran = runner.invoke(app, ["worker", "--until-idle", "--name", "w"])
    assert ran.exit_code == 0, ran.output
    done = runner.invoke(app, ["jobs", "add", "rollup", "--party", "RS", "--key", "nightly"])
    assert done.exit_code == 0 and "Job 1 already ran with key nightly." in done.output
    today = runner.invoke(app, ["jobs", "add", "rollup", "--party", "AL"])
    assert today.exit_code == 0, today.output
    assert runner.invoke(app, ["worker", "--until-idle"]).exit_code == 0
    again = runner.invoke(app, ["jobs", "add", "rollup", "--party", "AL"])
    assert again.exit_code == 0
    assert "already ran today; give --key to queue it again" in " ".join(again.output.split())
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Job)).scalar_one() == 2


def test_two_reviews_written_at_once_by_workers_with_one_pid_each_write_a_whole_file(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two worker containers are both PID 1 on one data volume, and the same review runs
    # twice at once (two keys, or a takeover): each attempt writes its own draft.
    from riskhub.kpis import report

    both_halfway = threading.Barrier(2, timeout=30)

    def write(_data: dict[str, Any], out: Path) -> Path:
        with out.open("w") as fh:
            fh.write("<html>first half ")
            fh.flush()
            both_halfway.wait()  # both attempts are in the middle of their drafts
            fh.write(f"second half by {threading.current_thread().name}</html>")
        return out

    monkeypatch.setattr(report, "write", write)
    monkeypatch.setattr(os, "getpid", lambda: 1)
    parameters = kinds.ReviewParameters(period="2026H1")
    problems: list[str] = []

    def review() -> None:
        try:
            kinds._review(engine=engine, party="RS", parameters=parameters)
        except Exception as error:  # shown by the assertion below
            problems.append(repr(error))

    attempts = [threading.Thread(target=review, name=name) for name in ("A", "B")]
    for attempt in attempts:
        attempt.start()
    for attempt in attempts:
        attempt.join(60)
    assert problems == []
    out = kinds.review_path("RS", parameters)
    assert out.read_text() in {f"<html>first half second half by {n}</html>" for n in "AB"}
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no draft left
