"""Training pages: a trainee completes an exercise end to end in the browser; the sandbox is
marked on every page; records stay with their Party."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from riskhub.access.roles import Role
from riskhub.training import scoring
from riskhub.training.demo import HEAVY_TRUCKS as MASS
from riskhub.training.exercises import shipped
from riskhub.training.models import Attempt
from tests.conftest import MakeUser
from tests.web.conftest import BrowserLogin, sign_in

BANNER = "Training sandbox."


def test_a_trainee_completes_an_exercise_in_the_browser(
    browser_as: BrowserLogin, make_user: MakeUser, engine: Engine
) -> None:
    instructor = browser_as(make_user("RS", Role.PARTY_ADMIN, name="Instructor Ana"))
    instructor.goto("/training")
    instructor.get_by_label("Name").fill("Preševo, week 12")
    instructor.get_by_label("More on the truck than on the declaration").check()
    instructor.get_by_role("button", name="Create the cohort").click()
    instructor.wait_for_url("**/training/cohorts/*")
    code = instructor.inner_text("#join-code")
    assert BANNER in instructor.inner_text("main")

    trainee = browser_as(make_user("RS", Role.OFFICER, name="Officer Jovan",
                                   offices=["RS-PRE"]))  # fmt: skip
    trainee.get_by_role("navigation").get_by_role("link", name="Training").click()
    trainee.get_by_label("Join a cohort with the code your instructor gave").fill(code.lower())
    trainee.get_by_role("button", name="Join").click()
    trainee.wait_for_url("**/training/cohorts/*")
    trainee.get_by_role("link", name="More on the truck than on the declaration").click()
    trainee.get_by_role("button", name="Start: put the traffic in the sandbox").click()
    trainee.wait_for_selector("#held")
    trainee.get_by_label("Profiles (YAML").fill(MASS)
    # The score the page gives is the scoring of the same profile on the same traffic.
    direct = scoring.attempt(engine=engine, exercise=shipped()["MASS"], texts=[MASS])
    trainee.get_by_role("button", name="Backtest (not recorded)").click()
    trainee.wait_for_selector("#trial")
    assert f"Backtest: score {direct.score}" in trainee.inner_text("#trial")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Attempt)).scalar_one() == 0
    assert trainee.get_by_label("Profiles (YAML").input_value() == MASS  # kept to submit
    trainee.get_by_role("button", name="Run and score").click()
    trainee.wait_for_url("**/training/attempts/*")
    assert trainee.inner_text("#score") == str(direct.score)
    measures = trainee.inner_text("#measures")
    assert f"{direct.caught} of {direct.planted}" in measures
    assert f"{direct.controlled} of a budget of {direct.budget}" in measures
    assert trainee.locator("#missed tbody tr").count() == min(len(direct.missed), 20)
    assert "no profile matched it" in trainee.inner_text("#missed")
    assert BANNER in trainee.inner_text("main")

    instructor.reload()
    row = instructor.inner_text("#trainees")
    assert "Officer Jovan" in row and f"best {direct.score}" in row


def test_pages_refuse_what_a_role_may_not_and_records_stay_home(
    client: TestClient, make_user: MakeUser
) -> None:
    sign_in(client, make_user("RS", Role.PARTY_ADMIN))
    made = client.post("/training/records", data={"person": "Ana Petrović", "agency": "customs",
                                                   "course": "Selectivity basics",
                                                   "completed_on": "2026-10-05"})  # fmt: skip
    assert made.status_code == 303
    bad = client.post("/training/records", data={"person": "X", "agency": "police",
                                                  "course": "C", "completed_on": "2026-10-05"})  # fmt: skip
    assert bad.status_code == 422 and "agency is one of" in bad.text
    kept = client.get("/training/records").text
    assert "Ana Petrović" in kept and BANNER not in kept  # records are live, not the sandbox
    sign_in(client, make_user("MK", Role.PARTY_ADMIN))
    assert "Ana Petrović" not in client.get("/training/records").text
    created = client.post("/training/cohorts", data={"name": "Tabanovce", "exercises": "MASS"})
    cohort = created.headers["location"]
    assert re.fullmatch(r"/training/cohorts/\d+", cohort)
    sign_in(client, make_user("AL", Role.ANALYST))
    assert client.get(cohort).status_code == 404  # neither its instructor nor a member
    assert client.post("/training/cohorts", data={"name": "x", "exercises": "MASS"}
                       ).status_code == 403  # fmt: skip
    assert client.get("/training/records").status_code == 403
    assert client.get("/training/exercises/NOPE").status_code == 404
    page = client.get("/training/exercises/MASS").text
    assert BANNER in page and "Start: put the traffic in the sandbox" in page
    sign_in(client, make_user("XS", Role.SECRETARIAT))
    assert client.get("/training").status_code == 403
    sign_in(client, make_user("ZZ", Role.ANALYST))  # a sandbox user: every page says so
    assert BANNER in client.get("/").text and BANNER in client.get("/profiles").text


def test_odd_ids_get_a_plain_answer(client: TestClient, make_user: MakeUser) -> None:
    """Found in review: ids beyond 64 bits and a non-ASCII digit gave a 500."""
    sign_in(client, make_user("RS", Role.OFFICER, offices=["RS-PRE"]))
    for path in ("/training/attempts/99999999999999999999", "/training/cohorts/0"):
        assert client.get(path).status_code == 422, path
    for cohort in ("²", "99999999999999999999", "x"):
        sent = client.post("/training/exercises/MASS", data={"profiles": MASS,
                                                             "cohort_id": cohort})  # fmt: skip
        assert sent.status_code == 422 and "choose the cohort from the list" in sent.text
