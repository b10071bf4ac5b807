"""Joint enforcement actions: every transition and every refused one, visibility, results."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from riskhub.access.roles import Role
from riskhub.app import create_app
from tests.conftest import MakeUser

TODAY = date.today()
Call = Any


def plan_body(**over: Any) -> dict[str, Any]:
    return {
        "title": "Operation Clean Corridor",
        "goal": "Detect cigarette smuggling on Corridor X",
        "period_from": (TODAY - timedelta(days=2)).isoformat(),
        "period_to": (TODAY + timedelta(days=20)).isoformat(),
        "participants": ["MK", "AL", "HU"],
        "agencies": ["customs", "border police"],
        "profiles": ["XS/CEFTA-EXC-001", "RS-EXC-9"],
        "rifs": [12, 7, 12],
        **over,
    }


@pytest.fixture
def api(engine: Engine, make_user: MakeUser) -> Any:
    made = {
        "rs": make_user("RS", Role.ANALYST),
        "mk": make_user("MK", Role.ANALYST),
        "al": make_user("AL", Role.ANALYST),
        "ba": make_user("BA", Role.ANALYST),
        "rmwg_ba": make_user("BA", Role.RMWG),
        "rmwg_rs": make_user("RS", Role.RMWG),
        "xs": make_user("XS", Role.SECRETARIAT),
        "officer": make_user("RS", Role.OFFICER, offices=["RS-PRE"]),
    }
    headers = {name: {"Authorization": f"Bearer {token}"} for name, token in made.items()}
    with TestClient(create_app()) as client:

        def call(who: str, method: str, path: str, **kwargs: Any) -> Any:
            return client.request(method, f"/api/v1{path}", headers=headers[who], **kwargs)

        yield call


def plan(api: Call, **over: Any) -> dict[str, Any]:
    response = api("rs", "POST", "/joint-actions", json=plan_body(**over))
    assert response.status_code == 201, response.text
    return dict(response.json())


def running(api: Call, **over: Any) -> int:
    action = plan(api, **over)
    assert (
        api("rmwg_ba", "POST", f"/joint-actions/{action['id']}/validate", json={}).status_code
        == 200
    )
    return int(action["id"])


REPORT = {"controls": 120, "detections": 6, "seized_quantity": 4000, "seized_unit": "pcs",
          "seized_value_eur": 18000.5, "comment": "Two trucks with hidden compartments"}  # fmt: skip


def test_a_party_plans_an_action_in_which_it_takes_part(api: Call) -> None:
    action = plan(api)
    assert action["status"] == "planned" and action["party"] == "RS"
    assert action["participants"] == ["RS", "MK", "AL", "HU"]
    assert action["rifs"] == [7, 12] and action["profiles"] == ["XS/CEFTA-EXC-001", "RS-EXC-9"]
    assert action["results"]["missing"] == ["RS", "MK", "AL", "HU"]


@pytest.mark.parametrize(
    ("over", "field", "words"),
    [
        ({"participants": ["QQ"]}, "participants", "not a CEFTA Party or EU Member State: QQ"),
        ({"participants": ["RS"]}, "participants", "at least one other Party"),
        ({"period_to": (TODAY - timedelta(days=3)).isoformat()}, "body", "period_to is before"),
        ({"period_from": (TODAY - timedelta(days=9)).isoformat(),
          "period_to": (TODAY - timedelta(days=1)).isoformat()}, "period_to", "already ended"),
        ({"rifs": [0]}, "rifs", "greater than or equal to 1"),
        ({"goal": "x\x00"}, "goal", "NUL"),
    ],
)  # fmt: skip
def test_a_bad_plan_is_refused_naming_the_field(
    api: Call, over: dict[str, Any], field: str, words: str
) -> None:
    response = api("rs", "POST", "/joint-actions", json=plan_body(**over))
    assert response.status_code == 422
    assert any(field in p["loc"] and words in p["msg"] for p in response.json()["detail"])


def test_only_analysts_plan_and_report(api: Call) -> None:
    for who in ("rmwg_rs", "xs", "officer"):
        assert api(who, "POST", "/joint-actions", json=plan_body()).status_code == 403, who
    action = running(api)
    for who in ("rmwg_rs", "xs"):
        assert api(who, "PUT", f"/joint-actions/{action}/report", json=REPORT).status_code == 403


def test_participants_the_rmwg_and_the_secretariat_see_it_other_parties_do_not(api: Call) -> None:
    action = plan(api)
    for who in ("rs", "mk", "al", "rmwg_ba", "rmwg_rs", "xs"):
        assert api(who, "GET", f"/joint-actions/{action['id']}").status_code == 200, who
        assert [a["id"] for a in api(who, "GET", "/joint-actions").json()] == [action["id"]]
    assert api("ba", "GET", f"/joint-actions/{action['id']}").status_code == 404
    assert api("ba", "GET", "/joint-actions").json() == []
    assert api("officer", "GET", "/joint-actions").status_code == 403


def test_the_rmwg_validates_a_planned_action_and_it_runs_once_its_period_starts(
    api: Call,
) -> None:
    later = plan(api, period_from=(TODAY + timedelta(days=5)).isoformat())
    refused = api("rs", "POST", f"/joint-actions/{later['id']}/validate", json={})
    assert refused.status_code == 403
    done = api("rmwg_ba", "POST", f"/joint-actions/{later['id']}/validate",
               json={"comment": "Agreed at the RMWG meeting"})  # fmt: skip
    assert done.status_code == 200
    out = done.json()
    assert (out["status"], out["decision_note"]) == ("validated", "Agreed at the RMWG meeting")
    assert out["decided_by"] == "rmwg-BA (rmwg, BA)" and out["decided_at"]
    again = api("rmwg_rs", "POST", f"/joint-actions/{later['id']}/validate", json={})
    assert again.status_code == 409 and "only a planned one" in again.json()["detail"]
    rejected_late = api("rmwg_rs", "POST", f"/joint-actions/{later['id']}/reject",
                        json={"reason": "too late"})  # fmt: skip
    assert rejected_late.status_code == 409
    now = running(api)
    assert api("mk", "GET", f"/joint-actions/{now}").json()["status"] == "running"


def test_the_rmwg_rejects_a_planned_action_with_a_reason(api: Call) -> None:
    action = plan(api)
    path = f"/joint-actions/{action['id']}"
    assert api("rmwg_rs", "POST", f"{path}/reject", json={}).status_code == 422
    assert api("mk", "POST", f"{path}/reject", json={"reason": "no"}).status_code == 403
    rejected = api("rmwg_rs", "POST", f"{path}/reject", json={"reason": "Overlaps Operation Y"})
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["decision_note"]) == (
        "rejected", "Overlaps Operation Y",
    )  # fmt: skip
    assert api("rmwg_rs", "POST", f"{path}/validate", json={}).status_code == 409
    report = api("rs", "PUT", f"{path}/report", json=REPORT)
    assert report.status_code == 409 and "rejected" in report.json()["detail"]
    assert api("rmwg_rs", "POST", f"{path}/close", json={"summary": "x" * 5}).status_code == 409


def test_results_are_reported_only_while_the_action_runs(api: Call) -> None:
    planned = plan(api)
    early = api("rs", "PUT", f"/joint-actions/{planned['id']}/report", json=REPORT)
    assert early.status_code == 409 and "not validated" in early.json()["detail"]
    later = plan(api, period_from=(TODAY + timedelta(days=5)).isoformat())
    api("rmwg_rs", "POST", f"/joint-actions/{later['id']}/validate", json={})
    waiting = api("mk", "PUT", f"/joint-actions/{later['id']}/report", json=REPORT)
    assert waiting.status_code == 409 and "starts on" in waiting.json()["detail"]


def test_each_participant_reports_once_and_a_second_report_amends_it(api: Call) -> None:
    action = running(api)
    path = f"/joint-actions/{action}/report"
    first = api("mk", "PUT", path, json=REPORT)
    assert first.status_code == 201
    assert (first.json()["party"], first.json()["version"], first.json()["amended_at"]) == (
        "MK", 1, None,
    )  # fmt: skip
    amended = api("mk", "PUT", path, json={**REPORT, "detections": 8})
    assert amended.status_code == 200
    assert (amended.json()["version"], amended.json()["detections"]) == (2, 8)
    assert amended.json()["amended_at"] is not None
    reports = api("rs", "GET", f"/joint-actions/{action}").json()["reports"]
    assert [(r["party"], r["detections"]) for r in reports] == [("MK", 8)]
    assert api("ba", "PUT", path, json=REPORT).status_code == 404  # not a participant


@pytest.mark.parametrize(
    ("sent", "words"),
    [
        ({**REPORT, "detections": 121}, "cannot exceed controls"),
        ({**REPORT, "seized_unit": None}, "go together"),
        ({**REPORT, "controls": -1}, "greater than or equal to 0"),
        ({**REPORT, "seized_value_eur": "NaN"}, "finite number"),
    ],
)
def test_a_bad_report_is_refused(api: Call, sent: dict[str, Any], words: str) -> None:
    action = running(api)
    response = api("rs", "PUT", f"/joint-actions/{action}/report", json=sent)
    assert response.status_code == 422 and words in response.text


def test_the_rmwg_closes_a_running_action_and_results_are_final(api: Call) -> None:
    later = plan(api, period_from=(TODAY + timedelta(days=5)).isoformat())
    api("rmwg_rs", "POST", f"/joint-actions/{later['id']}/validate", json={})
    not_yet = api(
        "rmwg_rs", "POST", f"/joint-actions/{later['id']}/close", json={"summary": "done"}
    )
    assert not_yet.status_code == 409 and "has not run yet" in not_yet.json()["detail"]
    planned = plan(api)
    assert api("rmwg_rs", "POST", f"/joint-actions/{planned['id']}/close",
               json={"summary": "done"}).status_code == 409  # fmt: skip
    action = running(api)
    api("rs", "PUT", f"/joint-actions/{action}/report", json=REPORT)
    assert (
        api("rs", "POST", f"/joint-actions/{action}/close", json={"summary": "ok"}).status_code
        == 403
    )
    closed = api("rmwg_rs", "POST", f"/joint-actions/{action}/close",
                 json={"summary": "Six detections, two networks identified"})  # fmt: skip
    assert closed.status_code == 200
    out = closed.json()
    assert (out["status"], out["closing_summary"]) == (
        "closed",
        "Six detections, two networks identified",
    )
    assert out["closed_by"] == "rmwg-RS (rmwg, RS)"
    for who in ("rs", "mk"):
        late = api(who, "PUT", f"/joint-actions/{action}/report", json=REPORT)
        assert late.status_code == 409 and "closed" in late.json()["detail"], who
    again = api("rmwg_rs", "POST", f"/joint-actions/{action}/close", json={"summary": "again"})
    assert again.status_code == 409


def test_the_summary_adds_up_every_participants_results(api: Call) -> None:
    action = running(api)
    sent = {
        "rs": {"controls": 100, "detections": 5, "seized_quantity": 2000, "seized_unit": "pcs",
               "seized_value_eur": 10000.25},
        "mk": {"controls": 60, "detections": 1, "seized_quantity": 50.5, "seized_unit": "kg",
               "seized_value_eur": 2500},
        "al": {"controls": 40, "detections": 4, "seized_quantity": 500, "seized_unit": "pcs",
               "seized_value_eur": 3000},
    }  # fmt: skip
    for who, report in sent.items():
        assert api(who, "PUT", f"/joint-actions/{action}/report", json=report).status_code == 201
    results = api("xs", "GET", f"/joint-actions/{action}").json()["results"]
    assert results == {
        "participants": ["RS", "MK", "AL", "HU"], "reported": ["AL", "MK", "RS"],
        "missing": ["HU"], "controls": 200, "detections": 10, "detection_rate": 0.05,
        "seized_value_eur": 15500.25, "seized": {"kg": 50.5, "pcs": 2500.0},
    }  # fmt: skip
