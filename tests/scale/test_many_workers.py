"""Three API processes and two job workers on one PostgreSQL: no double work, no stale caches.

The processes are the real ``riskhub serve`` and ``riskhub worker`` commands,
sharing the test database and one data folder, as several machines behind a
load balancer would. Declarations sent at once to different APIs (the same one
to two of them, too) are decided once each; a profile changed through one API,
and a model approved by an operator, are what every API uses for its next
declaration; jobs queued twice exist once and each runs once, on one worker.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from riskhub.access.roles import Role
from riskhub.db.tenancy import acting_for
from riskhub.declarations.models import Declaration
from riskhub.jobs import service as jobs
from riskhub.jobs.models import Job
from riskhub.selectivity import service as selectivity
from riskhub.selectivity.models import SelectivityDecision
from riskhub.selectivity.pipeline import OfficeRates
from riskhub.targeting import registry
from riskhub.targeting.models import RiskModelVersion, ShadowScore
from tests.conftest import TEST_DATABASE_URL, Databases, MakeUser, is_postgres
from tests.helpers import nested
from tests.jobs.support import decided, inspect_all
from tests.scale.cluster import Cluster

pytestmark = pytest.mark.skipif(
    not (TEST_DATABASE_URL and is_postgres(TEST_DATABASE_URL)),
    reason="several processes on one database is the PostgreSQL deployment: set "
    "RISKHUB_TEST_DATABASE_URL to a PostgreSQL database to run it",
)


@pytest.fixture(scope="module")
def cluster(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """3 API servers and 2 job workers on the test database, one data folder; all stopped after."""
    shared = Cluster(tmp_path_factory.mktemp("cluster"), databases.app_url, databases.admin_url)
    try:
        # Polling every 10 ms, the two workers claim at nearly the same moments.
        yield shared.start(apis=3, workers=2, poll=0.01)
    finally:
        shared.stop()


def submit(api: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST one declaration; its status with the decision the API attached."""
    answer = httpx.post(f"{api}/api/v1/declarations", json=body, timeout=60,
                        headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert answer.status_code in (200, 201), answer.text
    (status,) = answer.json()["declarations"]
    assert status["decision"] is not None, answer.text
    return {"stored": answer.json()["stored"], **status}


def plain_office(engine: Engine) -> None:
    """RS-PRE without random draws or budget top-ups: the profiles alone set the channel."""
    rates = OfficeRates(random_rate=0, random_rate_aeo=0, target_red=0, target_yellow=0)
    with acting_for("RS"), Session(engine) as session, session.begin():
        selectivity.set_office_rates(session=session, party="RS", office="RS-PRE", rates=rates)


def test_declarations_sent_at_once_to_three_apis_are_decided_once_each(
    cluster: Cluster, engine: Engine, make_user: MakeUser
) -> None:
    token = make_user("RS", Role.ANALYST)
    singles = [nested(f"MW-{i:03d}", lodged_at=f"2026-06-02T{8 + i % 10:02d}:{i % 60:02d}:00Z")
               for i in range(45)]  # fmt: skip
    twins = [nested(f"MW-TWIN-{i:02d}", lodged_at=f"2026-06-02T1{i % 10}:30:00Z")
             for i in range(10)]  # fmt: skip
    answers: dict[str, list[dict[str, Any]]] = {}
    lock = threading.Lock()

    def send(api: str, body: dict[str, Any], barrier: threading.Barrier | None = None) -> None:
        if barrier is not None:
            barrier.wait()  # both copies leave together, each to its own API
        got = submit(api, token, body)
        with lock:
            answers.setdefault(body["reference"], []).append(got)

    threads = []
    for i, body in enumerate(twins):
        barrier = threading.Barrier(2)
        for api in (cluster.apis[i % 3], cluster.apis[(i + 1) % 3]):
            threads.append(threading.Thread(target=send, args=(api, body, barrier)))
    for thread in threads:
        thread.start()
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda k: send(cluster.apis[k % 3], singles[k]), range(len(singles))))
    for thread in threads:
        thread.join(120)
    assert sorted(answers) == sorted(b["reference"] for b in singles + twins), cluster.logs()
    for body in twins:
        first, second = answers[body["reference"]]
        # Stored by one API, recognised by the other; both tell the one decision.
        assert sorted((first["stored"], second["stored"])) == [0, 1]
        assert first["id"] == second["id"] and first["decision"] == second["decision"]
    with engine.connect() as conn:
        declared = conn.execute(select(func.count()).select_from(Declaration)).scalar_one()
        per_declaration = Counter(
            conn.execute(select(SelectivityDecision.declaration_id)).scalars()
        )
    assert declared == 55 and len(per_declaration) == 55
    assert set(per_declaration.values()) == {1}


HEAVY = """\
code: RS-SCALE
title: Heavy laptops
threat: mass
criteria:
  all:
    - hs_code: {{startswith: "8471"}}
    - net_mass: {{gt: 500}}
action: {{channel: {channel}, checklist: [weigh the truck]}}
weight: 40
"""
ORIGIN = """\
code: RS-ORIGIN
title: Laptops from China
threat: origin
criteria:
  all:
    - origin_country: {in: [CN]}
action: {channel: yellow, checklist: [check the origin proof]}
weight: 10
"""


def test_a_profile_changed_through_one_api_is_used_by_every_api_at_once(
    cluster: Cluster, engine: Engine, make_user: MakeUser
) -> None:
    plain_office(engine)
    token = make_user("RS", Role.ANALYST)
    auth = {"Authorization": f"Bearer {token}"}
    first, second, third = cluster.apis
    count = iter(range(1000))

    def profile(api: str, text: str) -> dict[str, Any]:
        answer = httpx.post(f"{api}/api/v1/profiles", json={"document": text, "activate": True},
                            headers=auth, timeout=60)  # fmt: skip
        assert answer.status_code in (200, 201), answer.text
        (outcome,) = answer.json()
        return dict(outcome)

    def heavy_at(api: str) -> dict[str, Any]:
        body = nested(f"MW-P-{next(count):03d}", lodged_at="2026-06-03T09:00:00Z")
        body["items"][0].update(net_mass="900", gross_mass="950")
        decision = submit(api, token, body)["decision"]
        decision["profiles"] = sorted((r["profile"], r["version"]) for r in decision["reasons"]
                                      if r.get("profile"))  # fmt: skip
        return dict(decision)

    made = profile(first, HEAVY.format(channel="red"))
    assert (made["outcome"], made["version"]) == ("created", 1)
    # Every API decides with version 1 (and so holds its compiled profiles in memory).
    for api in (second, third, first):
        seen = heavy_at(api)
        assert (seen["channel"], seen["profiles"]) == ("red", [("RS-SCALE", 1)])
    # A new version through the first API: the others use it for their very next declaration.
    changed = profile(first, HEAVY.format(channel="yellow"))
    assert (changed["outcome"], changed["version"]) == ("changed", 2)
    after = [heavy_at(api) for api in (second, third, first)]
    assert [(d["channel"], d["profiles"]) for d in after] == [("yellow", [("RS-SCALE", 2)])] * 3
    assert len({d["profiles_version"] for d in after}) == 1
    # A new profile through the second API, then the first one suspended through the third.
    assert profile(second, ORIGIN)["outcome"] == "created"
    both = [heavy_at(api) for api in (third, first, second)]
    assert [d["profiles"] for d in both] == [[("RS-ORIGIN", 1), ("RS-SCALE", 2)]] * 3
    suspended = httpx.put(f"{third}/api/v1/profiles/{changed['id']}/status", headers=auth,
                          json={"status": "suspended"}, timeout=60)  # fmt: skip
    assert suspended.status_code == 200, suspended.text
    left = [heavy_at(api) for api in (first, second, third)]
    assert [(d["channel"], d["profiles"]) for d in left] == [("yellow", [("RS-ORIGIN", 1)])] * 3


def test_a_model_approved_by_an_operator_scores_at_every_api_at_once(
    cluster: Cluster, engine: Engine, make_user: MakeUser
) -> None:
    ids = decided(engine, 120, random_rate=1.0)
    inspect_all(engine, ids)
    plain_office(engine)
    token = make_user("RS", Role.ANALYST)
    late = (nested(f"MW-M-{k}", lodged_at="2026-06-12T09:00:00Z") for k in range(12))
    # No model serves yet: each API decides without one (and has looked for one).
    assert [submit(api, token, next(late))["decision"]["model_version"]
            for api in cluster.apis] == [None] * 3  # fmt: skip
    # Three windows, three different models (which gets which version depends on which
    # worker finishes first, and does not matter here).
    for since, until in (("01", "10"), ("01", "09"), ("02", "10")):
        jobs.enqueue(engine=engine, kind="retrain", party="RS",
                     parameters={"since": f"2026-06-{since}", "until": f"2026-06-{until}"})  # fmt: skip
    assert [j.status for j in wait_for_jobs(engine, cluster, 3)] == ["done"] * 3

    def approve(version: int, role: str) -> None:
        with acting_for("RS"), Session(engine) as session, session.begin():
            registry.approve(session=session, party="RS", version=version, role=role,
                             approved_by="head of risk")  # fmt: skip

    def everywhere() -> list[tuple[str | None, list[int]]]:
        """Each API's champion for its next declaration, and the challengers that shadowed it.

        The declarations differ only in their reference: one model gives them one score.
        """
        seen, scores = [], set()
        for api in cluster.apis:
            answer = submit(api, token, next(late))
            with Session(engine) as session:
                shadows = session.scalars(
                    select(RiskModelVersion.version)
                    .join(ShadowScore, ShadowScore.model_id == RiskModelVersion.id)
                    .where(ShadowScore.declaration_id == answer["id"])
                ).all()  # fmt: skip
            seen.append((answer["decision"]["model_version"], sorted(shadows)))
            scores.add(answer["decision"]["score"])
        assert len(scores) == 1, (seen, scores)  # the three APIs score alike
        score.append(scores.pop())
        return seen

    score: list[float] = []

    approve(1, "champion")
    assert everywhere() == [("RS-model-v1", [])] * 3
    # Every API now holds v1 in memory; a new champion and a challenger reach them all at once.
    approve(2, "champion")
    assert everywhere() == [("RS-model-v2", [])] * 3
    approve(3, "challenger")
    assert everywhere() == [("RS-model-v2", [3])] * 3
    # v2 scored, not the v1 each API had unpacked before (the models differ: their windows do).
    assert score[1] == score[2] != score[0]


def test_two_workers_run_each_job_once(cluster: Cluster, engine: Engine) -> None:
    ids = decided(engine, 120, random_rate=1.0)
    inspect_all(engine, ids)
    window = {"since": "2026-06-01", "until": "2026-06-10"}
    queued = [
        *(("retrain", "RS", {**window, "by": f"monthly-{k}"}) for k in range(5)),
        *(("rollup", party, {}) for party in ("AL", "BA", "MD", "ME", "MK", "RS", "XK")),
        ("review", "RS", {"period": "2026H1"}),
        ("review", "XS", {"period": "2026H1"}),
    ]
    for _host in ("cron-a", "cron-b"):  # two cron hosts queue the same jobs
        for kind, party, parameters in queued:
            jobs.enqueue(engine=engine, kind=kind, party=party, parameters=parameters,
                         enqueued_by=_host)  # fmt: skip
    done = wait_for_jobs(engine, cluster, len(queued))
    assert [(j.status, j.attempts) for j in done] == [("done", 1)] * len(queued), [
        (j.id, j.kind, j.error) for j in done]  # fmt: skip
    # Both workers took part, each job on one of them.
    by_worker = Counter(j.worker for j in done)
    assert set(by_worker) == set(cluster.workers), by_worker
    # The effects, once each: five models registered, one per retrain job.
    with acting_for("RS"), Session(engine) as session:
        models = session.execute(
            select(RiskModelVersion.version, RiskModelVersion.trained_by).order_by(
                RiskModelVersion.version)
        ).all()  # fmt: skip
    assert [v for v, _ in models] == [1, 2, 3, 4, 5]
    assert sorted(by for _, by in models) == [f"monthly-{k}" for k in range(5)]
    reports = Path(cluster.folder) / "reports"
    assert sorted(p.name for p in reports.iterdir()) == [
        "review-2026H1-RS.html", "review-2026H1-XS.html"]  # fmt: skip
    assert all(p.poll() is None for p in cluster.processes.values()), cluster.logs()


def test_hundreds_of_quick_jobs_run_once_each_under_contention(
    cluster: Cluster, engine: Engine
) -> None:
    # Rollups of Parties with (almost) no data take milliseconds: both workers, polling every
    # 10 ms, claim again and again at nearly the same moments. A claim that let two workers
    # take one job shows here as a job run twice, or as a "lost" outcome.
    parties = ("AL", "BA", "MD", "ME", "MK", "XK")
    logs = [cluster.folder / f"worker-{k + 1}.log" for k in range(len(cluster.workers))]
    # Job ids start again at 1 in each test: only what the workers say from now on counts.
    start = [log.stat().st_size for log in logs]
    queued = [jobs.enqueue(engine=engine, kind="rollup", party=parties[k % len(parties)],
                           parameters={}, key=f"contention-{cluster.run}-{k}")[0].id
              for k in range(300)]  # fmt: skip
    done = wait_for_jobs(engine, cluster, len(queued))
    assert [j.id for j in done] == queued
    assert {(j.status, j.attempts) for j in done} == {("done", 1)}, [
        (j.id, j.status, j.attempts, j.error) for j in done if j.attempts != 1][:5]  # fmt: skip
    by_worker = Counter(j.worker for j in done)
    assert set(by_worker) == set(cluster.workers), by_worker  # both took part
    # What the workers themselves say: each job run once, by one of them, and never lost.
    said: list[tuple[int, str, str]] = []
    for log, offset, name in zip(logs, start, cluster.workers, strict=True):
        with log.open("rb") as fh:
            fh.seek(offset)
            text = fh.read().decode(errors="replace")
        said += [(int(m[1]), name, m[2]) for m in RAN.finditer(text)]
    runs = Counter(job_id for job_id, _, _ in said)
    assert sorted(runs) == queued and set(runs.values()) == {1}, [
        (i, n) for i, n in runs.items() if n != 1][:5]  # fmt: skip
    assert {status for _, _, status in said} == {"done"}
    assert sorted((i, w) for i, w, _ in said) == [(j.id, j.worker) for j in done]


RAN = re.compile(r"^job (\d+) \w+ \w+: (\w+):", re.MULTILINE)  # the worker's line for a job


def wait_for_jobs(engine: Engine, cluster: Cluster, n: int, timeout: float = 240) -> list[Job]:
    """The jobs once all ``n`` are done or failed (the workers poll every 10 ms)."""
    deadline = time.monotonic() + timeout
    while True:
        with Session(engine) as session:
            rows = list(session.scalars(select(Job).order_by(Job.id)))
        if len(rows) == n and all(j.status in ("done", "failed") for j in rows):
            return rows
        if time.monotonic() > deadline or len(cluster.running()) < len(cluster.processes):
            raise AssertionError(f"jobs not finished: {[(j.kind, j.status) for j in rows]}\n"
                                 f"{cluster.logs()}")  # fmt: skip
        time.sleep(0.2)
