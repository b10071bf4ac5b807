"""Training over the API: cohorts, exercises in the sandbox, scored attempts, records, M6."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from riskhub.access.roles import Role
from riskhub.actionplan.measures import measure_all
from riskhub.app import create_app
from riskhub.declarations.models import Declaration
from riskhub.profiles.models import RiskProfile
from riskhub.training import exercises, scoring
from riskhub.training.exercises import Exercise, Traffic
from tests.conftest import MakeUser

SMALL = Exercise(
    code="SMALL", title="A small undervaluation drill", scenario="Cheap imports, two weeks.",
    goal="Catch undervalued imports.", targets=["undervaluation"],
    traffic=Traffic(seed=5, start=date(2025, 2, 3), days=14, trucks_per_day=40),
    window_days=7, budget=0.2, pass_mark=1,
)  # fmt: skip
PROFILE = """\
code: ZZ-CHEAP
title: Imports cheaper per kg than half the usual price
threat: undervaluation
direction: IMPORT
criteria:
  all:
    - unit_value_deviation_pct: {lt: -40}
    - reference_items: {gte: 3}
action: {channel: yellow}
weight: 30
"""


@pytest.fixture
def client(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setitem(exercises.shipped(), "SMALL", SMALL)
    with TestClient(create_app()) as c:
        yield c


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_cohort_works_through_an_exercise(
    engine: Engine, client: TestClient, make_user: MakeUser
) -> None:
    instructor = auth(make_user("RS", Role.PARTY_ADMIN, name="Instructor Ana"))
    made = client.post("/api/v1/training/cohorts", json={"name": "Preševo, March",
                                                         "exercises": ["SMALL"]},
                       headers=instructor)  # fmt: skip
    assert made.status_code == 201, made.text
    cohort = made.json()
    assert cohort["exercises"] == ["SMALL"] and len(cohort["join_code"]) == 8
    rs = auth(make_user("RS", Role.OFFICER, name="Officer Jovan", offices=["RS-PRE"]))
    mk = auth(make_user("MK", Role.AGENCY_OFFICER, name="Inspector Ilina",
                        agency="phytosanitary"))  # fmt: skip
    for who in (rs, mk):
        joined = client.post("/api/v1/training/cohorts/join",
                             json={"join_code": cohort["join_code"].lower()}, headers=who)  # fmt: skip
        assert joined.status_code == 200 and joined.json()["join_code"] is None

    url = "/api/v1/training/exercises/SMALL/attempts"
    early = client.post(url, json={"profiles": [PROFILE]}, headers=rs)
    assert early.status_code == 409 and "start it first" in early.json()["detail"]
    started = client.post("/api/v1/training/exercises/SMALL/start", headers=rs).json()
    assert started["declarations"] > 500
    again = client.post("/api/v1/training/exercises/SMALL/start", headers=mk).json()
    assert again == started  # seeded once

    sent = client.post(url, json={"profiles": [PROFILE], "cohort_id": cohort["id"]}, headers=rs)
    assert sent.status_code == 201, sent.text
    result = sent.json()
    # The same numbers as scoring the profile directly on the sandbox.
    direct = scoring.attempt(engine=engine, exercise=SMALL, texts=[PROFILE])
    assert result["score"] == direct.score and result["result"]["caught"] == direct.caught
    assert result["result"]["controlled"] <= result["result"]["budget"]
    assert result["passed"] is (direct.score >= SMALL.pass_mark)
    broken = client.post(url, json={"profiles": ["code: ZZ-X\n"], "cohort_id": cohort["id"]},
                         headers=mk)  # fmt: skip
    assert broken.status_code == 422
    assert "a profile cannot be read" in broken.json()["detail"][0]["msg"]

    view = client.get(f"/api/v1/training/cohorts/{cohort['id']}", headers=instructor).json()
    results = {t["name"]: t["results"]["SMALL"] for t in view["trainees"]}
    assert results["Inspector Ilina"] is None
    assert results["Officer Jovan"][0] == direct.score  # best score, passed, attempts
    own = client.get(f"/api/v1/training/cohorts/{cohort['id']}", headers=mk).json()
    assert [t["name"] for t in own["trainees"]] == ["Inspector Ilina"]
    outsider = auth(make_user("AL", Role.ANALYST))
    assert (
        client.get(f"/api/v1/training/cohorts/{cohort['id']}", headers=outsider).status_code == 404
    )
    assert client.post(url, json={"profiles": [PROFILE], "cohort_id": cohort["id"]},
                       headers=outsider).status_code == 404  # fmt: skip
    assert client.post("/api/v1/training/exercises/NOPE/start", headers=rs).status_code == 404
    mine = client.get("/api/v1/training/attempts", headers=rs).json()
    assert [a["exercise"] for a in mine] == ["SMALL"]

    # The pass became a training record of Serbia's, counted for M6.
    records = client.get("/api/v1/training/records", headers=instructor).json()
    if direct.passed:
        assert [(r["person"], r["course"], r["kind"]) for r in records] == [
            ("Officer Jovan", "exercise SMALL", "exercise")]  # fmt: skip
    # Training touched the sandbox only: no profile stored, no Serbian declaration added.
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(RiskProfile)).scalar_one() == 0
        parties = conn.execute(select(Declaration.party).distinct()).scalars().all()
    assert parties == ["ZZ"]


def test_records_stay_with_their_party_and_m6_counts_people(
    engine: Engine, client: TestClient, make_user: MakeUser
) -> None:
    rs, mk = auth(make_user("RS", Role.PARTY_ADMIN)), auth(make_user("MK", Role.PARTY_ADMIN))
    course = {"course": "Risk-based selectivity, basic", "completed_on": "2026-10-05"}
    for person in ("Ana", "Jovan", "Ana"):
        sent = client.post("/api/v1/training/records", json={**course, "person": person},
                           headers=rs)  # fmt: skip
        assert sent.status_code == 201
    client.post("/api/v1/training/records", json={**course, "person": "Ilina",
                                                  "agency": "veterinary"}, headers=mk)  # fmt: skip
    assert [r["person"] for r in client.get("/api/v1/training/records", headers=rs).json()] == [
        "Ana", "Jovan"]  # the repeat is the same record  # fmt: skip
    assert [r["person"] for r in client.get("/api/v1/training/records", headers=mk).json()] == [
        "Ilina"]  # fmt: skip
    bad = client.post("/api/v1/training/records", json={**course, "person": "X",
                                                         "agency": "police"}, headers=rs)  # fmt: skip
    assert bad.status_code == 422 and "agency is one of" in bad.json()["detail"][0]["msg"]
    officer = auth(make_user("RS", Role.OFFICER, offices=["RS-PRE"]))
    assert client.get("/api/v1/training/records", headers=officer).status_code == 403
    m6 = measure_all(engine=engine)["M6"]
    assert (m6.value, m6.target, m6.met) == (3, 14, False)


def test_a_score_depends_on_its_own_exercise_only(engine: Engine, client: TestClient) -> None:
    """Found in review: the price history drew on every sandbox declaration, so starting another
    exercise over the same weeks changed this one's score."""
    from riskhub.training import sandbox

    sandbox.seed(engine=engine, exercise=SMALL)
    alone = scoring.attempt(engine=engine, exercise=SMALL, texts=[PROFILE])
    other = SMALL.model_copy(update={"code": "OTHER", "traffic": SMALL.traffic.model_copy(
        update={"seed": 9, "start": date(2025, 1, 20)})})  # fmt: skip
    assert sandbox.seed(engine=engine, exercise=other) > 0
    assert scoring.attempt(engine=engine, exercise=SMALL, texts=[PROFILE]) == alone


def test_two_passes_recorded_at_the_same_moment_make_one_record(engine: Engine) -> None:
    """Found in review: on PostgreSQL the second of two same-day passes failed on the unique
    record and lost its attempt."""
    import threading

    from riskhub.db.base import utcnow
    from riskhub.db.tenancy import acting_for
    from riskhub.training import service
    from riskhub.training.models import TrainingRecord

    start, failures, ids = threading.Barrier(2), [], []
    writer = engine.execution_options(sqlite_immediate=True)

    def record(score: float) -> None:
        try:
            start.wait(timeout=10)
            with acting_for("RS"), Session(writer) as session, session.begin():
                row = service.record(session=session, party="RS", person="Ana", agency="customs",
                                     course="exercise MASS", kind="exercise",
                                     completed_on=date(2026, 6, 1), score=score,
                                     recorded_by="riskhub", now=utcnow())  # fmt: skip
                session.flush()
                ids.append(row.id)
        except BaseException as error:  # reported in the test's thread
            failures.append(error)

    threads = [threading.Thread(target=record, args=(s,)) for s in (40.0, 60.0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not failures and len(set(ids)) == 1
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(TrainingRecord)).scalar_one() == 1


def test_nul_characters_are_refused_not_sent_to_the_database(
    engine: Engine, client: TestClient, make_user: MakeUser
) -> None:
    """Found by schemathesis on PostgreSQL, whose text cannot hold NUL: a 500 before."""
    admin = auth(make_user("RS", Role.PARTY_ADMIN))
    for url, body in (
        ("/api/v1/training/cohorts/join", {"join_code": "AB\x00CD"}),
        ("/api/v1/training/cohorts", {"name": "x\x00", "exercises": ["MASS"]}),
        ("/api/v1/training/records", {"person": "A\x00", "course": "C",
                                      "completed_on": "2026-06-01"}),
        ("/api/v1/assessments/RM-GAP/responses/2026-H2", {"comments": {"policy": "\x00"}}),
    ):  # fmt: skip
        method = client.put if "assessments" in url else client.post
        sent = method(url, json=body, headers=admin)
        assert sent.status_code == 422, (url, sent.text)
        assert "must not contain NUL characters" in sent.text
