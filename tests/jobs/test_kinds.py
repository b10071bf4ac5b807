"""Each kind of job does its real work; the commands queue, list and run jobs."""

from __future__ import annotations

import json

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from riskhub.cli import app
from riskhub.db.tenancy import acting_for
from riskhub.jobs import service
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
