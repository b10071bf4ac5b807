"""Assessments over the API: a Party fills and submits, readers compare, the tracker counts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from riskhub.access.roles import Role
from riskhub.actionplan import measures
from riskhub.app import create_app
from riskhub.assessments.questionnaire import latest
from tests.conftest import MakeUser

URL = "/api/v1/assessments/RM-GAP/responses/2026-H2"


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def answers(pick: int) -> dict[str, Any]:
    """The answer at position ``pick`` (0 the lowest) of every RM-GAP question."""
    form = latest("RM-GAP")
    assert form is not None
    return {k: q.options[min(pick, len(q.options) - 1)].answer
            for k, (_, q) in form.questions().items()}  # fmt: skip


def test_a_party_fills_in_submits_and_keeps_its_assessment(
    engine: Engine, client: TestClient, make_user: MakeUser
) -> None:
    admin = auth(make_user("RS", Role.PARTY_ADMIN))
    first = dict(list(answers(3).items())[:4])
    draft = client.put(URL, json={"answers": first, "comments": {"policy": "Decision 12/2025"}},
                       headers=admin)  # fmt: skip
    assert draft.status_code == 200, draft.text
    body = draft.json()
    assert body["status"] == "draft" and body["scores"] is None and len(body["missing"]) == 6
    early = client.post(f"{URL}/submit", headers=admin)
    assert early.status_code == 422
    assert "6 questions are not answered yet: analysis" not in early.text  # keys, not titles
    assert "6 questions are not answered yet: method, selectivity" in early.text

    bad = client.put(URL, json={"answers": {"policy": "perhaps", "nothing": "x"}}, headers=admin)
    assert bad.status_code == 422
    assert [e["msg"] for e in bad.json()["detail"]] == [
        "nothing: there is no such question in RM-GAP version 1",
        "policy: 'perhaps' is not one of the answers: 'no', 'a draft', 'adopted', "
        "'adopted and reviewed in the last two years'",
    ]
    rest = {**answers(1), **first}
    assert client.put(URL, json={"answers": rest}, headers=admin).json()["missing"] == []
    done = client.post(f"{URL}/submit", headers=admin)
    assert done.status_code == 200 and done.json()["status"] == "submitted"
    scores = done.json()["scores"]
    # context and identification at the top (3 of 3), the rest one step up (1 of 3).
    by_key = {d["key"]: d["score"] for d in scores["dimensions"]}
    assert by_key == {"context": 100.0, "identification": 100.0, "analysis": 33.3,
                      "treatment": 33.3, "monitoring": 33.3, "eu_alignment": 33.3,
                      "agencies": 33.3}  # fmt: skip
    assert done.json()["comments"] == {"policy": "Decision 12/2025"}
    # Kept as submitted.
    again = client.put(URL, json={"answers": {"policy": "no"}}, headers=admin)
    assert again.status_code == 409 and "already submitted" in again.json()["detail"]
    assert client.post(f"{URL}/submit", headers=admin).status_code == 200  # no change
    assert client.get(URL, headers=admin).json()["answers"]["policy"] == rest["policy"]


def test_who_fills_and_who_reads(engine: Engine, client: TestClient, make_user: MakeUser) -> None:
    rs, mk = auth(make_user("RS", Role.PARTY_ADMIN)), auth(make_user("MK", Role.PARTY_ADMIN))
    for who, pick in ((rs, 3), (mk, 0)):
        assert client.put(URL, json={"answers": answers(pick)}, headers=who).status_code == 200
    assert client.post(f"{URL}/submit", headers=rs).status_code == 200
    # North Macedonia's draft is its own: another Party sees neither it nor its answers.
    assert client.get(URL, headers=mk).json()["status"] == "draft"
    results = "/api/v1/assessments/RM-GAP/results"
    rmwg = auth(make_user("AL", Role.RMWG))
    assert [(r["party"], r["overall"]) for r in client.get(results, headers=rmwg).json()] == [
        ("RS", 100.0)]  # fmt: skip
    assert client.post(f"{URL}/submit", headers=mk).status_code == 200
    compared = client.get(results, headers=rmwg).json()
    assert [(r["party"], r["overall"], r["level"]) for r in compared] == [
        ("MK", 0.0, "initial"), ("RS", 100.0, "advanced")]  # fmt: skip
    analyst = auth(make_user("RS", Role.ANALYST))
    assert [r["party"] for r in client.get(results, headers=analyst).json()] == ["RS"]
    gaps = client.get("/api/v1/assessments/RM-GAP/gaps/2026-H2", headers=rmwg).json()
    assert [p["party"] for p in gaps["parties"]] == ["MK", "RS"]
    assert gaps["not_submitted"] == ["AL", "BA", "MD", "ME", "XK"]
    weakest = gaps["parties"][0]["dimensions"][0]
    # All at 0%: ties go by key, so "agencies" first, and the next step up from "no".
    assert (weakest["key"], weakest["score"], weakest["questions"][0]["better"]) == (
        "agencies", 0.0, "on request")  # fmt: skip
    # Filling is the administrator's; the RMWG, analysts and officers cannot.
    for role, party in ((Role.RMWG, "ME"), (Role.ANALYST, "BA"), (Role.SECRETARIAT, "XS")):
        token = auth(make_user(party, role))
        assert client.put(URL, json={"answers": {}}, headers=token).status_code == 403
    officer = auth(make_user("RS", Role.OFFICER, offices=["RS-PRE"]))
    assert client.get(results, headers=officer).status_code == 403
    sandbox = auth(make_user("ZZ", Role.PARTY_ADMIN))  # the training tenant assesses nobody
    refused = client.put(URL, json={"answers": {}}, headers=sandbox)
    assert refused.status_code == 403 and "CEFTA administrations" in refused.json()["detail"]
    # The tracker counts the submissions: two of seven CEFTA Parties (S3), none for S4.
    measured = measures.measure_all(engine=engine)
    assert (measured["S3"].value, measured["S3"].target) == (round(2 / 7, 4), 1.0)
    assert measured["S4"].value == 0.0


def test_wrong_codes_and_periods_are_named(
    engine: Engine, client: TestClient, make_user: MakeUser
) -> None:
    admin = auth(make_user("RS", Role.PARTY_ADMIN))
    missing = client.get("/api/v1/assessments/NOPE", headers=admin)
    assert missing.status_code == 404 and "no questionnaire 'NOPE'" in missing.json()["detail"]
    odd = client.put("/api/v1/assessments/RM-GAP/responses/2026-Q3", json={"answers": {}},
                     headers=admin)  # fmt: skip
    assert odd.status_code == 422 and "written like 2026-H2" in odd.json()["detail"][0]["msg"]
    assert client.get(URL, headers=admin).status_code == 404
    assert client.post(f"{URL}/submit", headers=admin).status_code == 404
    extra = client.put(URL, json={"answers": {}, "score": 100}, headers=admin)
    assert extra.status_code == 422
    listed = client.get("/api/v1/assessments", headers=admin).json()
    assert [(q["code"], q["activity"]) for q in listed] == [("RM-GAP", "S3"), ("STAFFING", "S4")]


def test_numbers_that_are_not_numbers_are_refused(
    engine: Engine, client: TestClient, make_user: MakeUser
) -> None:
    """Found in review: NaN gave a 500, Infinity scored at the top, a share could exceed 100%."""
    admin = auth(make_user("RS", Role.PARTY_ADMIN))
    url = "/api/v1/assessments/STAFFING/responses/2026-H2"
    for raw, why in (('{"answers": {"analysts": NaN}}', "nan is not a number of 0 or more"),
                     ('{"answers": {"analysts": Infinity}}', "inf is not a number of 0 or more"),
                     ('{"answers": {"trained_share": 500}}', "500 is not a number of 0 or more "
                                                             "and at most 100")):  # fmt: skip
        sent = client.put(url, content=raw, headers={**admin, "content-type": "application/json"})
        assert sent.status_code == 422, raw
        assert why in sent.json()["detail"][0]["msg"], sent.json()
    odd = client.put("/api/v1/assessments/STAFFING/responses/2026-H9", json={"answers": {}},
                     headers=admin)  # fmt: skip
    assert odd.json()["detail"][0]["loc"] == ["path", "period"]
