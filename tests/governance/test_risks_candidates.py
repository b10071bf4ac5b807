"""Emerging threats (M8, L2): indicators as risk criteria, candidate profiles, reviews due."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from riskhub.access.roles import Role
from riskhub.app import create_app
from riskhub.db.tenancy import acting_for
from riskhub.governance.risks import candidates
from riskhub.profiles import service as profiles
from riskhub.profiles.models import RiskProfile
from riskhub.targeting.models import RiskModelVersion
from tests.conftest import MakeUser
from tests.governance.test_risks import Call, body, profile

TODAY = date.today()
INDICATORS = "all:\n  - hs_code: {startswith: ['3004', '9018']}\n  - origin_country: [CN, IN]\n"


@pytest.fixture
def api(engine: Engine, make_user: MakeUser) -> Any:
    made = {
        "rs": make_user("RS", Role.ANALYST),
        "mk": make_user("MK", Role.ANALYST),
        "rmwg": make_user("RS", Role.RMWG),
    }
    headers = {name: {"Authorization": f"Bearer {token}"} for name, token in made.items()}
    with TestClient(create_app()) as client:

        def call(who: str, method: str, path: str, **kwargs: Any) -> Any:
            return client.request(method, f"/api/v1{path}", headers=headers[who], **kwargs)

        yield call


def add(api: Call, who: str, **over: Any) -> dict[str, Any]:
    response = api(who, "POST", "/risks", json=body(**over))
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_indicators_are_checked_like_profile_criteria_with_their_locations(api: Call) -> None:
    bad = "all:\n  - hs_cod: {startswith: '3004'}\n  - origin_country: [cn]\n"
    response = api("rs", "POST", "/risks", json=body(indicators=bad))
    assert response.status_code == 422
    messages = [p["msg"] for p in response.json()["detail"] if p["loc"] == ["body", "indicators"]]
    assert messages[0] == (
        "line 2, column 26 (all[0].hs_cod.startswith): unknown field 'hs_cod'; did you mean 'hs_code'?"
    )
    assert (
        messages[1] == "line 3, column 21 (all[1].origin_country): codes are upper case: write 'CN'"
    )
    assert len(messages) == 2, messages
    broken = api("rs", "POST", "/risks", json=body(indicators="all: [\n"))
    assert broken.status_code == 422 and "not valid YAML/JSON" in broken.json()["detail"][0]["msg"]
    scalar = api("rs", "POST", "/risks", json=body(indicators="hs_code"))
    assert "a mapping" in scalar.json()["detail"][0]["msg"]


def test_a_cefta_wide_emerging_threat_generates_a_draft_profile_in_a_partys_profiles(
    api: Call, engine: Engine
) -> None:
    threat = add(api, "rmwg", title="Falsified medicines in a health crisis",
                 category="health_crisis", indicators=INDICATORS)  # fmt: skip
    made = api("rs", "POST", f"/risks/{threat['id']}/candidate", json={"code": "RS-HC-001"})
    assert made.status_code == 201, made.text
    out = made.json()
    assert (out["code"], out["status"]) == ("RS-HC-001", "draft")
    assert "XS-R-001" in out["document"]
    stored = api("rs", "GET", f"/profiles/{out['profile_id']}")
    assert stored.status_code == 200 and stored.json()["status"] == "draft"
    assert stored.json()["party"] == "RS" and stored.json()["threat"] == "other"
    assert api("mk", "GET", f"/profiles/{out['profile_id']}").status_code == 404
    # Linked back: the generating Party sees its candidate on the risk, no other Party does.
    seen = api("rs", "GET", f"/risks/{threat['id']}").json()["candidates"]
    assert [c["profile_code"] for c in seen] == ["RS-HC-001"]
    assert api("mk", "GET", f"/risks/{threat['id']}").json()["candidates"] == []
    # The CEFTA-wide risk itself is the RMWG's: the Party's draft is not written into it.
    assert api("rs", "GET", f"/risks/{threat['id']}").json()["profiles"] == []
    # It backtests like any draft.
    tried = api("rs", "POST", "/profiles/backtest",
                json={"document": out["document"], "since": "2020-01-01"})  # fmt: skip
    assert tried.status_code == 200 and tried.json()["declarations"] == 0


def test_a_candidate_from_ones_own_risk_is_linked_in_the_risk_and_its_history(api: Call) -> None:
    risk = add(api, "rs", indicators=INDICATORS, category="safety_health")
    assert api("rs", "POST", f"/risks/{risk['id']}/candidate",
               json={"code": "RS-SH-001", "channel": "red"}).status_code == 201  # fmt: skip
    shown = api("rs", "GET", f"/risks/{risk['id']}").json()
    assert shown["profiles"] == ["RS/RS-SH-001"]
    assert shown["history"][-1]["changes"]["profiles"] == [[], ["RS/RS-SH-001"]]


def test_refused_candidates(api: Call, engine: Engine) -> None:
    plain = add(api, "rs")
    with_indicators = add(api, "rs", indicators=INDICATORS)
    no_indicators = api("rs", "POST", f"/risks/{plain['id']}/candidate", json={"code": "RS-C-1"})
    assert no_indicators.status_code == 409 and "no indicators" in no_indicators.json()["detail"]
    path = f"/risks/{with_indicators['id']}/candidate"
    assert api("rs", "POST", path, json={"code": "RS-C-1"}).status_code == 201
    taken = api("rs", "POST", path, json={"code": "RS-C-1"})
    assert taken.status_code == 409 and "already has a profile RS-C-1" in taken.json()["detail"]
    assert api("mk", "POST", path, json={"code": "MK-C-1"}).status_code == 404
    assert api("rmwg", "POST", path, json={"code": "XS-C-1"}).status_code == 403
    assert api("rs", "POST", path, json={"code": "bad code"}).status_code == 422
    api("rs", "PATCH", f"/risks/{with_indicators['id']}", json={"status": "closed"})
    closed = api("rs", "POST", path, json={"code": "RS-C-2"})
    assert closed.status_code == 409 and "closed" in closed.json()["detail"]


def test_the_profile_import_refuses_a_candidate_with_its_own_errors(
    api: Call, engine: Engine
) -> None:
    # The RMWG's indicators name a list of XS's; a Party's profile cannot use it by that name.
    with acting_for("XS"), Session(engine) as session, session.begin():
        profiles.save_list(session=session, party="XS", name="medicines", kind="hs",
                           entries=["3004"], distribution="cefta")  # fmt: skip
    threat = add(api, "rmwg", indicators="hs_code: {in_list: medicines}\n")
    refused = api("rs", "POST", f"/risks/{threat['id']}/candidate", json={"code": "RS-C-9"})
    assert refused.status_code == 422
    [problem] = refused.json()["detail"]
    assert problem["loc"] == ["body", "document"]
    assert "(criteria.hs_code.in_list)" in problem["msg"] and "medicines" in problem["msg"]
    with acting_for("RS"), Session(engine) as session:
        assert profiles.list_profiles(session=session, party="RS") == []


def _age(engine: Engine, code: str, days: int, **values: Any) -> None:
    when = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days)
    with engine.begin() as conn:
        conn.execute(
            update(RiskProfile).where(RiskProfile.code == code).values(updated_at=when, **values)
        )


def _model(engine: Engine, party: str, version: int, status: str, approved_days_ago: int) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    with acting_for(party), Session(engine) as session, session.begin():
        session.add(
            RiskModelVersion(
                party=party, version=version, status=status, train_from=TODAY, train_to=TODAY,
                trained_rows=10, features="[]", metrics="{}", revenue_weight=0.0,
                artifact=b"", artifact_sha256="0" * 64, trained_by="t", trained_at=now,
                approved_by="head", approved_at=now - timedelta(days=approved_days_ago),
            )
        )  # fmt: skip


def test_profiles_and_models_due_for_review(api: Call, engine: Engine) -> None:
    codes = ("RS-OLD", "RS-FRESH", "RS-ENDING", "RS-EXPIRED", "RS-LINKED", "RS-DRAFT")
    with acting_for("RS"), Session(engine) as session, session.begin():
        for code in codes:
            profiles.import_profiles(session=session, party="RS", text=profile(code),
                                     activate=code != "RS-DRAFT")  # fmt: skip
    with acting_for("MK"), Session(engine) as session, session.begin():
        profiles.import_profiles(session=session, party="MK", text=profile("MK-OLD"), activate=True)
    _age(engine, "RS-OLD", 200)
    _age(engine, "MK-OLD", 200)
    _age(engine, "RS-DRAFT", 400)
    _age(engine, "RS-ENDING", 1, valid_to=TODAY + timedelta(days=10))
    _age(engine, "RS-EXPIRED", 1, valid_to=TODAY - timedelta(days=1))
    add(api, "rs", profiles=["RS-LINKED"], review_on=TODAY.isoformat())
    add(api, "rs", profiles=["RS-FRESH"])  # its review is not due
    _model(engine, "RS", 1, "retired", 400)
    _model(engine, "RS", 2, "champion", 200)
    _model(engine, "RS", 3, "challenger", 20)
    _model(engine, "MK", 1, "champion", 300)
    due = api("rs", "GET", "/risks/due-for-review").json()
    assert (due["party"], due["review_days"]) == ("RS", 180)
    reasons = {p["code"]: p["reasons"] for p in due["profiles"]}
    assert set(reasons) == {"RS-OLD", "RS-ENDING", "RS-EXPIRED", "RS-LINKED"}
    assert reasons["RS-OLD"] == ["unchanged for 200 days (review every 180)"]
    assert reasons["RS-ENDING"] == [f"validity ends on {TODAY + timedelta(days=10)}"]
    assert reasons["RS-EXPIRED"] == [f"expired on {TODAY - timedelta(days=1)}"]
    assert reasons["RS-LINKED"] == [f"linked to risk RS-R-001, due for review since {TODAY}"]
    assert [(m["version"], m["reasons"]) for m in due["models"]] == [
        (2, ["approved 200 days ago (review every 180)"])
    ]
    shorter = api("rs", "GET", "/risks/due-for-review", params={"days": 10}).json()
    assert {m["version"] for m in shorter["models"]} == {2, 3}
    assert "RS-FRESH" not in {p["code"] for p in shorter["profiles"]}  # changed today
    assert api("rs", "GET", "/risks/due-for-review", params={"days": 0}).status_code == 422


def test_a_candidate_of_a_risk_due_for_review_is_due_too(api: Call, engine: Engine) -> None:
    risk = add(api, "rs", indicators=INDICATORS, review_on=TODAY.isoformat())
    made = api("rs", "POST", f"/risks/{risk['id']}/candidate", json={"code": "RS-HC-002"}).json()
    with acting_for("RS"), Session(engine) as session, session.begin():
        profiles.set_status(session=session, party="RS", profile_id=made["profile_id"],
                            status="active")  # fmt: skip
    with acting_for("RS"), Session(engine) as session:
        due = candidates.due_for_review(session=session, party="RS")
    assert [p["code"] for p in due["profiles"]] == ["RS-HC-002"]
    assert json.dumps(due["profiles"][0]["reasons"]).count("RS-R-001") == 1
