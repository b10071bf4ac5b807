"""Recording inspection results over the API: checks, repeats, scopes, checklists, feedback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from riskhub.access.roles import Role
from riskhub.app import create_app
from riskhub.db.tenancy import acting_for
from riskhub.inspections import checklists
from riskhub.inspections.models import Inspection, InspectionFeedback, ReleaseTime
from riskhub.inspections.schemas import ChecklistIn
from riskhub.reference.parties import SECRETARIAT_PARTY
from riskhub.selectivity import service as selectivity
from tests.conftest import MakeUser
from tests.helpers import nested
from tests.selectivity.test_service import HEAVY, activate, load, with_item

COMMON = HEAVY.replace("RS-HEAVY", "CEFTA-HEAVY").replace(
    "weight: 40", "weight: 40\ndistribution: {level: cefta}"
)


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


@pytest.fixture
def heavy(engine: Engine) -> int:
    """A Serbian declaration put in red by a common (RMWG) profile, with a red checklist."""
    activate(engine, COMMON, party=SECRETARIAT_PARTY)
    (declaration_id,) = load(engine, with_item("H1", net_mass="900", gross_mass="950"))
    selectivity.decide_pending(engine_=engine, party="RS")
    body = ChecklistIn.model_validate(
        {"title": "Red basics", "channels": ["red"], "distribution": "cefta",
         "items": [{"key": "seal_intact", "text": "Seals intact"},
                   {"key": "weigh", "text": "Weigh the goods", "evidence": "ticket"},
                   {"key": "sample", "text": "Take a sample", "required": False}]}
    )  # fmt: skip
    with acting_for(SECRETARIAT_PARTY), Session(engine) as session, session.begin():
        checklists.save_checklist(
            session=session, party=SECRETARIAT_PARTY, code="RED-BASIC", body=body, user_id=None
        )
    return declaration_id


def result(reference: str = "CR-1", **changes: Any) -> dict[str, Any]:
    body = {
        "reference": reference,
        "kind": "physical",
        "inspector": "officer 7",
        "started_at": "2026-06-01T10:00:00Z",
        "finished_at": "2026-06-01T11:30:00Z",
        "outcome": "discrepancy",
        "findings": [{"category": "quantity_mass", "item_no": 1, "detail": "1,400 kg on scale"}],
        "answers": [{"checklist": "XS/RED-BASIC", "item": "seal_intact", "answer": "yes"},
                    {"checklist": "XS/RED-BASIC", "item": "weigh", "answer": "no"}],
        "additional_revenue_eur": 812.5,
    }  # fmt: skip
    return {**body, **changes}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def count(engine: Engine, model: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_record_repeat_and_conflict(
    engine: Engine, client: TestClient, make_user: MakeUser, heavy: int
) -> None:
    officer = auth(make_user("RS", Role.OFFICER, offices=["RS-PRE"]))
    url = f"/api/v1/declarations/{heavy}/inspections"
    made = client.post(url, json=result(), headers=officer)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["outcome"] == "discrepancy" and body["agency"] == "customs"
    assert body["findings"] == [{"category": "quantity_mass", "item_no": 1,
                                 "detail": "1,400 kg on scale"}]  # fmt: skip
    assert body["decision_id"] is not None
    # The same report again: recognised, not doubled.
    again = client.post(url, json=result(), headers=officer)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    # The same number with other content: refused, nothing changed.
    other = client.post(url, json=result(outcome="no_discrepancy", findings=[], answers=[],
                                         additional_revenue_eur=0), headers=officer)  # fmt: skip
    assert other.status_code == 409 and "CR-1" in other.json()["detail"]
    assert count(engine, Inspection) == 1
    listed = client.get(url, headers=officer).json()
    assert [i["reference"] for i in listed] == ["CR-1"]
    # The physical control filled the release-time interval; the TRS answer shows it.
    times = client.get(f"/api/v1/declarations/{heavy}/release-times", headers=officer).json()
    assert times["times"]["physical_start"].startswith("2026-06-01T10:00")
    assert times["times"]["physical_end"].startswith("2026-06-01T11:30")


def test_bad_results_say_where_and_why(
    engine: Engine, client: TestClient, make_user: MakeUser, heavy: int
) -> None:
    officer = auth(make_user("RS", Role.OFFICER, offices=["RS-PRE"]))
    url = f"/api/v1/declarations/{heavy}/inspections"
    cases = {
        "started_at": result(started_at="2026-05-31T10:00:00Z"),
        "findings.0.item_no": result(findings=[{"category": "origin", "item_no": 9}]),
        "answers.0.checklist": result(
            answers=[{"checklist": "NOPE", "item": "x", "answer": "yes"}]
        ),
        "answers": result(
            answers=[{"checklist": "XS/RED-BASIC", "item": "weigh", "answer": "yes"}]
        ),
        "finished_at": result(finished_at="2099-01-01T00:00:00Z"),
    }
    for field, body in cases.items():
        refused = client.post(url, json=body, headers=officer)
        assert refused.status_code == 422, (field, refused.text)
        locations = [".".join(map(str, d["loc"][1:])) for d in refused.json()["detail"]]
        assert field in locations, (field, refused.json())
    # Checked by the schema: findings with no discrepancy, a seizure with no quantity.
    for body in (result(outcome="no_discrepancy"), result(outcome="seizure"),
                 result(finished_at="2026-06-01T09:00:00Z")):  # fmt: skip
        refused = client.post(url, json=body, headers=officer)
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["msg"]
    assert count(engine, Inspection) == 0


def test_only_the_right_officers_reach_a_declaration(
    engine: Engine, client: TestClient, make_user: MakeUser, heavy: int
) -> None:
    url = f"/api/v1/declarations/{heavy}/inspections"
    elsewhere = auth(make_user("RS", Role.OFFICER, name="bat", offices=["RS-BAT"]))
    assert client.post(url, json=result(), headers=elsewhere).status_code == 404
    times = f"/api/v1/declarations/{heavy}/release-times"
    stamp = {"arrival_at": "2026-06-01T07:00:00Z"}
    assert client.put(times, json=stamp, headers=elsewhere).status_code == 404
    assert client.get(times, headers=elsewhere).status_code == 404
    foreign = auth(make_user("MK", Role.OFFICER, offices=["MK-TAB"]))
    assert client.post(url, json=result(), headers=foreign).status_code == 404
    # The decision notifies customs only: the phytosanitary officer cannot record on it.
    phyto = auth(make_user("RS", Role.AGENCY_OFFICER, agency="phytosanitary"))
    assert client.post(url, json=result(), headers=phyto).status_code == 404
    analyst = auth(make_user("RS", Role.ANALYST))
    assert client.post(url, json=result(), headers=analyst).status_code == 403
    assert count(engine, Inspection) == 0


def test_checklist_form_versions_and_sharing(
    engine: Engine, client: TestClient, make_user: MakeUser, heavy: int
) -> None:
    officer = auth(make_user("RS", Role.OFFICER, offices=["RS-PRE"]))
    form = client.get(f"/api/v1/declarations/{heavy}/checklist", headers=officer).json()
    assert form["channel"] == "red"
    assert [c["code"] for c in form["checklists"]] == ["RED-BASIC"]
    assert form["profile_points"] == ["weigh the truck"]
    analyst = auth(make_user("RS", Role.ANALYST))
    mine = {"title": "Own docs check", "channels": ["yellow"], "profiles": ["XS/CEFTA-HEAVY"],
            "items": [{"key": "invoice", "text": "Invoice matches"}]}  # fmt: skip
    first = client.put("/api/v1/checklists/RS-DOCS", json=mine, headers=analyst)
    assert first.status_code == 200 and first.json()["version"] == 1
    same = client.put("/api/v1/checklists/RS-DOCS", json=mine, headers=analyst).json()
    assert same["version"] == 1
    changed = {**mine, "items": [*mine["items"], {"key": "origin", "text": "Origin proof"}]}
    second = client.put("/api/v1/checklists/RS-DOCS", json=changed, headers=analyst).json()
    assert second["version"] == 2
    history = client.get(f"/api/v1/checklists/{second['id']}/versions", headers=analyst).json()
    assert [len(v["document"]["items"]) for v in history] == [1, 2]
    # Attached to the common profile that selected the declaration: now on its form too.
    form = client.get(f"/api/v1/declarations/{heavy}/checklist", headers=officer).json()
    assert [c["code"] for c in form["checklists"]] == ["RS-DOCS", "RED-BASIC"]  # own first
    # Not shared: another Party neither lists nor reads it.
    mk = auth(make_user("MK", Role.ANALYST))
    listed = [c["code"] for c in client.get("/api/v1/checklists", headers=mk).json()]
    assert "RS-DOCS" not in listed and "RED-BASIC" in listed
    assert client.get(f"/api/v1/checklists/{second['id']}/versions", headers=mk).status_code == 404
    bad = client.put("/api/v1/checklists/RS-BAD", json={**mine, "channels": [], "profiles": []},
                     headers=analyst)  # fmt: skip
    assert bad.status_code == 422 and "attach the checklist" in bad.text


def test_feedback_on_a_common_profile_travels_without_traders(
    engine: Engine, client: TestClient, make_user: MakeUser, heavy: int
) -> None:
    officer = auth(make_user("RS", Role.OFFICER, offices=["RS-PRE"]))
    url = f"/api/v1/declarations/{heavy}/inspections"
    shared = client.post(url, json=result(share_feedback={"level": "cefta"}), headers=officer)
    assert shared.status_code == 201, shared.text
    assert shared.json()["feedback_shared_on"] == ["XS/CEFTA-HEAVY"]
    assert count(engine, InspectionFeedback) == 1
    mk = auth(make_user("MK", Role.ANALYST))
    profiles = client.get("/api/v1/profiles", headers=mk).json()
    (common,) = [p for p in profiles if p["code"] == "CEFTA-HEAVY"]
    got = client.get(f"/api/v1/profiles/{common['id']}/feedback", headers=mk).json()
    assert len(got) == 1 and got[0]["party"] == "RS"
    summary = got[0]["summary"]
    assert summary["outcome"] == "discrepancy" and summary["findings"] == ["quantity_mass"]
    text = json.dumps(got)
    for trader in ("RS100000001", "MK100000002", "RSB10001", "1,400 kg"):
        assert trader not in text  # no traders' ids and no free text leave Serbia
    # A declaration no common profile selected has nothing to give feedback on.
    (plain,) = load(engine, nested("L1"))
    selectivity.decide_pending(engine_=engine, party="RS")
    refused = client.post(f"/api/v1/declarations/{plain}/inspections",
                          json=result("CR-2", answers=[], share_feedback={"level": "cefta"}),
                          headers=officer)  # fmt: skip
    assert refused.status_code == 422 and "share_feedback" in refused.text


def test_release_times_merge_and_refuse_wrong_order(
    engine: Engine, client: TestClient, make_user: MakeUser, heavy: int
) -> None:
    system = auth(make_user("RS", Role.OFFICER, offices=["RS-PRE"]))
    url = f"/api/v1/declarations/{heavy}/release-times"
    first = client.put(url, json={"arrival_at": "2026-06-01T07:40:00Z"}, headers=system)
    assert first.status_code == 200, first.text
    second = client.put(url, json={"released_at": "2026-06-01T09:10:00Z"}, headers=system)
    out = second.json()
    assert out["times"]["arrival_at"].startswith("2026-06-01T07:40")  # kept
    assert out["intervals_hours"]["arrival_to_release"] == 1.5
    assert out["intervals_hours"]["lodgement_to_release"] == round(70 / 60, 3)
    wrong = client.put(url, json={"exit_at": "2026-06-01T08:00:00Z"}, headers=system)
    assert wrong.status_code == 422
    (problem,) = wrong.json()["detail"]
    assert problem["loc"] == ["body", "exit_at"] and "after release" in problem["msg"]
    absurd = client.put(url, json={"exit_at": "9999-12-31T23:59:59-01:00"}, headers=system)
    assert absurd.status_code == 422
    with Session(engine) as session:
        row = session.get(ReleaseTime, heavy)
        assert row is not None and row.exit_at is None


def test_feedback_to_a_group_reaches_the_group_only_and_a_retry_can_add_it(
    engine: Engine, client: TestClient, make_user: MakeUser, heavy: int
) -> None:
    from riskhub.access import service as access

    with Session(engine) as session, session.begin():
        access.create_sharing_group(session=session, name="rs-me", members=["RS", "ME"])
    officer = auth(make_user("RS", Role.OFFICER, offices=["RS-PRE"]))
    url = f"/api/v1/declarations/{heavy}/inspections"
    assert client.post(url, json=result(), headers=officer).status_code == 201
    # The first send had no feedback; the same report again with it adds it, once.
    group = {"level": "group", "group": "rs-me"}
    retry = client.post(url, json=result(share_feedback=group), headers=officer)
    assert retry.status_code == 200 and retry.json()["feedback_shared_on"] == ["XS/CEFTA-HEAVY"]
    assert client.post(url, json=result(share_feedback=group), headers=officer).status_code == 200
    assert count(engine, InspectionFeedback) == 1
    nameless = client.post(url, json=result("CR-9", share_feedback={"level": "group"}),
                           headers=officer)  # fmt: skip
    assert nameless.status_code == 422 and "sharing group" in nameless.text

    def feedback_seen_by(party: str, role: Role) -> int:
        token = auth(make_user(party, role, name=f"{role.value}-{party}-fb"))
        (common,) = [p for p in client.get("/api/v1/profiles", headers=token).json()
                     if p["code"] == "CEFTA-HEAVY"]  # fmt: skip
        return len(client.get(f"/api/v1/profiles/{common['id']}/feedback", headers=token).json())

    assert feedback_seen_by("ME", Role.ANALYST) == 1
    assert feedback_seen_by("MK", Role.ANALYST) == 0
    assert feedback_seen_by("MK", Role.RMWG) == 0  # the RMWG is not in the group either


def test_an_inspection_never_puts_release_times_out_of_order(
    engine: Engine, client: TestClient, make_user: MakeUser, heavy: int
) -> None:
    officer = auth(make_user("RS", Role.OFFICER, offices=["RS-PRE"]))
    times = f"/api/v1/declarations/{heavy}/release-times"
    stamps = {"arrival_at": "2026-06-01T07:00:00Z", "released_at": "2026-06-01T11:00:00Z"}
    assert client.put(times, json=stamps, headers=officer).status_code == 200
    # Recorded late, ending after the release the border system reported: kept, not filled in.
    url = f"/api/v1/declarations/{heavy}/inspections"
    assert client.post(url, json=result(), headers=officer).status_code == 201
    after = client.get(times, headers=officer).json()["times"]
    assert after["physical_end"] is None and after["released_at"].startswith("2026-06-01T11:00")
    # The row stays usable: a later exit time is accepted.
    exit_ = client.put(times, json={"exit_at": "2026-06-01T11:20:00Z"}, headers=officer)
    assert exit_.status_code == 200, exit_.text


def test_customs_is_not_an_other_agency(engine: Engine, make_user: MakeUser) -> None:
    from riskhub.access.service import AccessError

    with pytest.raises(AccessError, match="customs staff are officers or analysts"):
        make_user("RS", Role.AGENCY_OFFICER, agency="customs")
