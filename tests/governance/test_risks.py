"""The risk register: who keeps which register, history, closing, bands, heat map, overdue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from riskhub.access.roles import Role
from riskhub.app import create_app
from riskhub.db.tenancy import acting_for
from riskhub.governance.risks import heatmap
from riskhub.governance.risks.models import Risk
from riskhub.kpis import service as kpis
from riskhub.profiles import service as profiles
from tests.conftest import MakeUser

TODAY = date.today()
Call = Callable[..., Any]


def body(**over: Any) -> dict[str, Any]:
    return {
        "title": "Undervalued textiles from the Far East",
        "category": "undervaluation",
        "description": "Invoices at a third of the reference price.",
        "likelihood": 4,
        "impact": 3,
        "owner": "Head of risk analysis",
        "treatment": "treat",
        "review_on": (TODAY + timedelta(days=90)).isoformat(),
        **over,
    }


def profile(code: str, level: str = "own") -> str:
    return (
        f"code: {code}\ntitle: Heavy consignments\nthreat: mass\n"
        "criteria: {net_mass: {gt: 1000}}\naction: {channel: yellow}\nweight: 10\n"
        f"distribution: {{level: {level}, tlp: GREEN}}\n"
    )


@pytest.fixture
def users(make_user: MakeUser) -> dict[str, dict[str, str]]:
    made = {
        "rs": make_user("RS", Role.ANALYST),
        "mk": make_user("MK", Role.ANALYST),
        "rmwg_rs": make_user("RS", Role.RMWG),
        "rmwg_mk": make_user("MK", Role.RMWG),
        "xs": make_user("XS", Role.SECRETARIAT),
        "officer": make_user("RS", Role.OFFICER, offices=["RS-PRE"]),
    }
    return {name: {"Authorization": f"Bearer {token}"} for name, token in made.items()}


@pytest.fixture
def api(engine: Engine, users: dict[str, dict[str, str]]) -> Any:
    with TestClient(create_app()) as client:

        def call(who: str, method: str, path: str, **kwargs: Any) -> Any:
            return client.request(method, f"/api/v1{path}", headers=users[who], **kwargs)

        yield call


def add(api: Call, who: str, **over: Any) -> dict[str, Any]:
    response = api(who, "POST", "/risks", json=body(**over))
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_an_analyst_keeps_their_partys_register_and_the_rmwg_the_cefta_wide(api: Call) -> None:
    own = add(api, "rs")
    assert (own["party"], own["reference"], own["cefta_wide"]) == ("RS", "RS-R-001", False)
    assert (own["rating"], own["level"], own["status"], own["overdue"]) == (
        12,
        "high",
        "open",
        False,
    )
    wide = add(api, "rmwg_rs", category="illicit_trade", likelihood=5, impact=4)
    assert (wide["party"], wide["reference"], wide["cefta_wide"]) == ("XS", "XS-R-001", True)
    assert wide["emerging"] is True and wide["level"] == "critical"
    [first] = wide["history"]
    assert first["action"] == "recorded" and first["actor"] == "rmwg-RS (rmwg, RS)"
    assert first["changes"]["likelihood"] == [None, 5]
    assert add(api, "rmwg_mk")["reference"] == "XS-R-002"  # one CEFTA-wide register
    assert add(api, "mk")["reference"] == "MK-R-001"
    refused = api("xs", "POST", "/risks", json=body())
    assert refused.status_code == 403
    assert api("officer", "GET", "/risks").status_code == 403


def test_rating_is_likelihood_times_impact_in_four_bands() -> None:
    bands = {heatmap.level(li, im) for li in range(1, 6) for im in range(1, 6)}
    assert bands == {"low", "medium", "high", "critical"}
    assert [heatmap.level(*s) for s in ((1, 4), (1, 5), (3, 3), (2, 5), (4, 4), (4, 5), (5, 5))] == [
        "low", "medium", "medium", "high", "high", "critical", "critical",
    ]  # fmt: skip
    assert heatmap.rating(3, 5) == 15 and heatmap.level(3, 5) == "high"


def test_another_partys_risk_is_not_found_for_anyone(api: Call) -> None:
    risk = add(api, "rs")
    for who in ("mk", "rmwg_mk", "xs"):
        assert api(who, "GET", f"/risks/{risk['id']}").status_code == 404, who
        assert risk["id"] not in [r["id"] for r in api(who, "GET", "/risks").json()]
    assert api("mk", "PATCH", f"/risks/{risk['id']}", json={"impact": 1}).status_code == 404
    assert api("rmwg_mk", "PATCH", f"/risks/{risk['id']}", json={"impact": 1}).status_code == 404
    assert api("rmwg_rs", "GET", f"/risks/{risk['id']}").status_code == 200


def test_every_party_reads_the_cefta_wide_register_and_only_the_rmwg_writes_it(
    api: Call,
) -> None:
    wide = add(api, "rmwg_rs")
    own = add(api, "rs")
    for who in ("rs", "mk", "rmwg_mk", "xs"):
        assert api(who, "GET", f"/risks/{wide['id']}").status_code == 200, who
    refused = api("rs", "PATCH", f"/risks/{wide['id']}", json={"impact": 5})
    assert refused.status_code == 403 and "RMWG" in refused.json()["detail"]
    changed = api("rmwg_mk", "PATCH", f"/risks/{wide['id']}", json={"impact": 5})
    assert changed.status_code == 200 and changed.json()["impact"] == 5
    # An RMWG member reads their own Party's register but does not keep it.
    assert api("rmwg_rs", "PATCH", f"/risks/{own['id']}", json={"impact": 5}).status_code == 403
    assert {r["party"] for r in api("xs", "GET", "/risks").json()} == {"XS"}
    assert {r["party"] for r in api("rs", "GET", "/risks").json()} == {"RS", "XS"}


def test_every_change_enters_the_history_with_who_when_and_old_to_new(api: Call) -> None:
    risk = add(api, "rs", likelihood=2)
    changed = api("rs", "PATCH", f"/risks/{risk['id']}",
                  json={"likelihood": 4, "owner": "Deputy director", "treatment": "transfer"})  # fmt: skip
    assert changed.status_code == 200
    out = changed.json()
    assert out["version"] == 2 and out["rating"] == 12
    last = out["history"][-1]
    assert last["action"] == "changed" and last["actor"] == "analyst-RS (analyst, RS)"
    assert last["changes"] == {
        "likelihood": [2, 4], "rating": [6, 12],
        "owner": ["Head of risk analysis", "Deputy director"], "treatment": ["treat", "transfer"],
    }  # fmt: skip
    # Sending what is already stored changes nothing and adds no history.
    again = api("rs", "PATCH", f"/risks/{risk['id']}", json={"likelihood": 4}).json()
    assert again["version"] == 2 and len(again["history"]) == 2


def test_a_closed_risk_is_reopened_before_it_changes(api: Call) -> None:
    risk = add(api, "rs")
    closed = api("rs", "PATCH", f"/risks/{risk['id']}", json={"status": "closed"}).json()
    assert closed["status"] == "closed" and closed["history"][-1]["action"] == "closed"
    refused = api("rs", "PATCH", f"/risks/{risk['id']}", json={"title": "Another title"})
    assert refused.status_code == 409 and "reopen" in refused.json()["detail"]
    assert [r["id"] for r in api("rs", "GET", "/risks", params={"status": "closed"}).json()] == [
        risk["id"]
    ]
    reopened = api("rs", "PATCH", f"/risks/{risk['id']}",
                   json={"status": "open", "title": "Another title"})  # fmt: skip
    assert reopened.status_code == 200
    last = reopened.json()["history"][-1]
    assert last["action"] == "reopened" and last["changes"]["status"] == ["closed", "open"]


@pytest.mark.parametrize(
    ("sent", "field", "words"),
    [
        ({"likelihood": 6}, "likelihood", "less than or equal to 5"),
        ({"category": "weather"}, "category", "Input should be"),
        ({"treatment": "ignore"}, "treatment", "Input should be"),
        ({"review_on": (TODAY - timedelta(days=1)).isoformat()}, "review_on", "in the past"),
        ({"profiles": ["NO-SUCH-1"]}, "profiles", "no such profile of RS"),
        ({"title": "bad\x00title"}, "title", "NUL"),
    ],
)
def test_bad_input_names_the_field_and_why(
    api: Call, sent: dict[str, Any], field: str, words: str
) -> None:
    response = api("rs", "POST", "/risks", json=body(**sent))
    assert response.status_code == 422
    [problem] = [p for p in response.json()["detail"] if field in p["loc"]]
    assert words in problem["msg"]


def test_a_field_cannot_be_removed_with_null(api: Call) -> None:
    risk = add(api, "rs")
    response = api("rs", "PATCH", f"/risks/{risk['id']}", json={"owner": None})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "owner"]


def test_linked_profiles_are_the_registers_own_or_common_ones(engine: Engine, api: Call) -> None:
    for party, code, level in (("RS", "RS-MASS-1", "own"), ("XS", "CEFTA-MASS-1", "cefta"),
                               ("MK", "MK-MASS-1", "cefta"), ("XS", "CEFTA-SECRET", "own")):  # fmt: skip
        with acting_for(party), Session(engine) as session, session.begin():
            profiles.import_profiles(session=session, party=party, text=profile(code, level))
    risk = add(api, "rs", profiles=["RS-MASS-1", "XS/CEFTA-MASS-1", "RS/RS-MASS-1"])
    assert risk["profiles"] == ["RS/RS-MASS-1", "XS/CEFTA-MASS-1"]
    for wrong in (["MK/MK-MASS-1"], ["XS/CEFTA-SECRET"]):
        response = api("rs", "POST", "/risks", json=body(profiles=wrong))
        assert response.status_code == 422, wrong
    # The CEFTA-wide register links common profiles only.
    assert api("rmwg_rs", "POST", "/risks", json=body(profiles=["RS/RS-MASS-1"])).status_code == 422
    wide = add(api, "rmwg_rs", profiles=["CEFTA-MASS-1", "CEFTA-SECRET"])
    assert wide["profiles"] == ["XS/CEFTA-MASS-1", "XS/CEFTA-SECRET"]


def test_a_risk_shows_how_its_profiles_perform_from_the_kpis(engine: Engine, api: Call) -> None:
    with acting_for("RS"), Session(engine) as session, session.begin():
        profiles.import_profiles(session=session, party="RS", text=profile("RS-MASS-1"),
                                 activate=True)  # fmt: skip
        profiles.import_profiles(session=session, party="RS", text=profile("RS-DRAFT-1"))
    risk = add(api, "rs", profiles=["RS-MASS-1", "RS-DRAFT-1"])
    shown = api("rs", "GET", f"/risks/{risk['id']}").json()["performance"]
    since, until = kpis.period(None, None)
    [review] = kpis.profile_review(engine=engine, parties=["RS"], since=since, until=until)
    assert review["profile"] == "RS/RS-MASS-1"
    assert shown[0] == review
    assert shown[1] == {"profile": "RS/RS-DRAFT-1", "note": "not active here: no KPIs to show"}


def test_the_heat_map_counts_open_risks_and_gives_oversight_counts_only(api: Call) -> None:
    add(api, "rs", likelihood=4, impact=5)
    add(api, "rs", likelihood=2, impact=2)
    closed = add(api, "rs", likelihood=1, impact=1)
    api("rs", "PATCH", f"/risks/{closed['id']}", json={"status": "closed"})
    add(api, "mk", likelihood=3, impact=3)
    add(api, "rmwg_mk", likelihood=5, impact=5)
    rs = api("rs", "GET", "/risks/heatmap").json()
    assert rs["parties"] == ["RS", "XS"] and rs["by_party"] == {}
    cells = {
        (li + 1, im + 1): n for li, row in enumerate(rs["grid"]) for im, n in enumerate(row) if n
    }
    assert cells == {(4, 5): 1, (2, 2): 1, (5, 5): 1}
    assert rs["levels"] == {"low": 1, "medium": 0, "high": 0, "critical": 2}
    for who in ("xs", "rmwg_rs"):
        wide = api(who, "GET", "/risks/heatmap").json()
        assert wide["parties"] == ["XS"] and sum(map(sum, wide["grid"])) == 1
        assert sum(map(sum, wide["by_party"]["RS"])) == 2
        assert wide["by_party"]["MK"][2][2] == 1
        assert sum(map(sum, wide["by_party"]["AL"])) == 0


def test_overdue_reviews_are_flagged(engine: Engine, api: Call) -> None:
    late = add(api, "rs", review_on=TODAY.isoformat())
    add(api, "rs")
    assert late["overdue"] is False  # due today is not yet overdue
    with engine.begin() as conn:
        conn.execute(
            update(Risk).where(Risk.id == late["id"]).values(review_on=TODAY - timedelta(days=1))
        )
    overdue = api("rs", "GET", "/risks", params={"overdue": "true"}).json()
    assert [(r["id"], r["overdue"]) for r in overdue] == [(late["id"], True)]
    assert len(api("rs", "GET", "/risks", params={"overdue": "false"}).json()) == 1
    assert api("rs", "GET", "/risks/heatmap").json()["overdue"] == 1
    # A closed risk is not overdue.
    api("rs", "PATCH", f"/risks/{late['id']}", json={"status": "closed"})
    assert api("rs", "GET", "/risks", params={"overdue": "true"}).json() == []
