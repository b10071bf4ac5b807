"""The Action Plan tracker (S5): activities, per-Party status with evidence, reviews compared."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from riskhub.access.roles import Role
from tests.conftest import MakeUser
from tests.web.conftest import sign_in


def _report(client: TestClient, code: str, **form: str) -> tuple[int, str]:
    done = client.post(f"/action-plan/{code}", data=form)
    return done.status_code, done.text


def test_the_tracker_shows_every_activity_and_measures_for_aggregate_readers(
    client: TestClient, make_user: MakeUser
) -> None:
    sign_in(client, make_user("XS", Role.SECRETARIAT, name="Secretariat M&E"))
    assert "Secretariat M&amp;E" in client.get("/").text
    page = client.get("/action-plan").text
    assert page.count('<tr id="activity-') == 30
    assert "Priority passage granted to 300 AEOs." in page
    assert "0 of 300" in page  # L7 measured live: no AEOs on this hub
    assert 'id="gantt"' in page and "data-spec=" in page


def test_an_officer_sees_the_plan_without_the_cross_party_measures(
    client: TestClient, make_user: MakeUser
) -> None:
    sign_in(client, make_user("RS", Role.OFFICER, offices=["RS-PRE"]))
    page = client.get("/action-plan").text
    assert page.count('<tr id="activity-') == 30
    assert "0 of 300" not in page and "shown to roles that read aggregates" in page
    detail = client.get("/action-plan/S9").text
    assert "Report RS" not in detail  # an officer reads; administrations report
    assert _report(client, "S9", status="in_progress", progress="10")[0] == 403


def test_a_party_reports_its_own_progress_and_progress_is_the_mean_of_those_expected(
    client: TestClient, make_user: MakeUser
) -> None:
    sign_in(client, make_user("RS", Role.ANALYST, name="Ana"))
    status, text = _report(client, "S9", status="done", progress="100", evidence="")
    assert status == 422 and "say what shows it is done" in text
    status, text = _report(client, "S9", status="done", progress="80", evidence="x")
    assert status == 422 and "100% complete" in text
    assert _report(client, "S9", status="bogus", progress="5")[0] == 422
    assert _report(client, "S9", status="in_progress", progress="101")[0] == 422
    assert _report(client, "S99", status="in_progress", progress="5")[0] == 404
    done = client.post("/action-plan/S9", data={"status": "in_progress", "progress": "35",
                                                 "comment": "pilot at Batrovci"})  # fmt: skip
    assert done.status_code == 303
    sign_in(client, make_user("MK", Role.PARTY_ADMIN))
    client.post("/action-plan/S9", data={"status": "done", "progress": "100",
                                         "evidence": "Decision 12/2026 of the Director"})  # fmt: skip
    page = client.get("/action-plan/S9").text
    # S9 is reported by the seven Parties: (35 + 100 + 0 × 5) / 7 = 19.3 → 19%.
    assert re.search(r'id="progress">19%<', page)
    assert "pilot at Batrovci" in page and "Decision 12/2026 of the Director" in page
    assert "Report MK" in page
    grid = client.get("/action-plan").text
    assert "in progress 35%" in grid and "done 100%" in grid


def test_reviews_are_taken_once_per_half_year_and_compared(
    client: TestClient, make_user: MakeUser
) -> None:
    analyst = make_user("AL", Role.ANALYST)
    secretariat = make_user("XS", Role.SECRETARIAT)
    sign_in(client, analyst)
    assert client.post("/action-plan/reviews", data={"period": "2026-H1"}).status_code == 403
    sign_in(client, secretariat)
    assert client.post("/action-plan/reviews", data={"period": "2026-H1"}).status_code == 303
    again = client.post("/action-plan/reviews", data={"period": "2026-H1"})
    assert again.status_code == 409 and "already taken" in again.text
    assert client.post("/action-plan/reviews", data={"period": "2026-H3"}).status_code == 409
    sign_in(client, analyst)
    client.post("/action-plan/S12", data={"status": "in_progress", "progress": "70"})
    sign_in(client, secretariat)
    client.post("/action-plan/reviews", data={"period": "2026-H2"})
    page = client.get("/action-plan/reviews?earlier=2026-H1&later=2026-H2").text
    row = re.search(r'<tr id="compare-S12">(.*?)</tr>', page, re.S)
    assert row is not None
    # S12 is reported by the seven Parties: 70 / 7 = 10%.
    assert ">0%<" in row.group(1) and ">10%<" in row.group(1) and ">+10<" in row.group(1)
    assert "AL" in row.group(1)
    assert client.get("/action-plan/reviews?earlier=2026-H1&later=2030-H1").status_code == 404


def test_a_review_comparison_shows_the_measured_kpis_only_to_aggregate_readers(
    client: TestClient, make_user: MakeUser
) -> None:
    sign_in(client, make_user("XS", Role.SECRETARIAT))
    for period in ("2026-H1", "2026-H2"):
        assert client.post("/action-plan/reviews", data={"period": period}).status_code == 303
    compared = "/action-plan/reviews?earlier=2026-H1&later=2026-H2"
    row = re.search(r'<tr id="compare-L7">(.*?)</tr>', client.get(compared).text, re.S)
    assert row is not None and "(target 300)" in row.group(1)
    sign_in(client, make_user("RS", Role.OFFICER, offices=["RS-PRE"]))
    row = re.search(r'<tr id="compare-L7">(.*?)</tr>', client.get(compared).text, re.S)
    assert row is not None and "target" not in row.group(1)
