"""The declarations API: tenancy, status codes, and plain-worded problems."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from riskhub.access.roles import Role
from riskhub.app import create_app
from tests.conftest import MakeUser
from tests.helpers import nested

Headers = dict[str, str]


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


@pytest.fixture
def rs(make_user: MakeUser) -> Headers:
    return {"Authorization": f"Bearer {make_user('RS', Role.ANALYST)}"}


@pytest.fixture
def mk(make_user: MakeUser) -> Headers:
    return {"Authorization": f"Bearer {make_user('MK', Role.ANALYST)}"}


def post(client: TestClient, body: Any, headers: Headers) -> Any:
    return client.post("/api/v1/declarations", json=body, headers=headers)


def test_no_or_wrong_token_is_401(client: TestClient, rs: Headers, mk: Headers) -> None:
    assert post(client, nested("R1"), headers={}).status_code == 401
    response = post(client, nested("R1"), headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]
    assert client.get("/api/v1/declarations", headers={}).status_code == 401


def test_single_declaration_stored_then_unchanged_then_amended(
    client: TestClient, rs: Headers, mk: Headers
) -> None:
    first = post(client, nested("R1"), headers=rs)
    assert first.status_code == 201
    body = first.json()
    assert (body["stored"], body["items"], body["problems"]) == (1, 2, [])
    (status,) = body["declarations"]
    assert (status["reference"], status["version"], status["status"]) == ("R1", 1, "stored")

    decided = status.pop("decision")
    assert decided["declaration_version"] == 1 and decided["channel"] in ("green", "red")

    again = post(client, nested("R1"), headers=rs)
    assert again.status_code == 200
    assert again.json()["declarations"][0]["status"] == "unchanged"
    # The same version keeps the decision it was given; it is not decided again.
    assert again.json()["declarations"][0]["decision"] == decided

    changed = post(client, nested("R1", office="RS-HOR"), headers=rs)
    assert changed.status_code == 200
    amended = changed.json()["declarations"][0]
    redecided = amended.pop("decision")
    assert amended == {**status, "version": 2, "status": "amended"}
    assert redecided["declaration_version"] == 2
    assert redecided["decided_at"] >= decided["decided_at"]

    got = client.get(f"/api/v1/declarations/{status['id']}", headers=rs).json()
    assert (got["office"], got["version"], [v["version"] for v in got["versions"]]) == (
        "RS-HOR", 2, [1],
    )  # fmt: skip
    assert [i["item_no"] for i in got["items"]] == [1, 2]


def test_party_defaults_to_the_callers(client: TestClient, rs: Headers, mk: Headers) -> None:
    body = nested("R9")
    del body["party"]
    response = post(client, body, headers=mk)
    assert response.status_code == 201
    listed = client.get("/api/v1/declarations", headers=mk).json()
    assert [(d["party"], d["reference"]) for d in listed] == [("MK", "R9")]


def test_bad_declaration_is_422_with_field_and_reason(
    client: TestClient, rs: Headers, mk: Headers
) -> None:
    body = nested("R1")
    body["items"][1]["net_mass"] = -3
    response = post(client, body, headers=rs)
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert {
        "location": "declaration item 2",
        "field": "net_mass",
        "reason": "negative mass: -3.0 kg",
    } in problems
    assert any(p["location"] == "declaration item 1" for p in problems), problems


def test_batch_stores_good_declarations_beside_bad_and_foreign_ones(
    client: TestClient, rs: Headers, mk: Headers
) -> None:
    bad = nested("BAD", destination_country="QQ")
    foreign = nested("THEIRS", party="MK", office="MK-TAB")
    response = post(client, {"declarations": [nested("A"), bad, foreign, nested("B")]}, headers=rs)
    assert response.status_code == 200
    body = response.json()
    assert body["stored"] == 2
    assert [d["reference"] for d in body["declarations"]] == ["A", "B"]
    reasons = {(p["location"], p["field"]): p["reason"] for p in body["problems"]}
    assert reasons[("declarations[1] item 1", "destination_country")] == (
        "unknown country code 'QQ'"
    )
    assert reasons[("declarations[2] item 1", "party")] == (
        "declaration belongs to Party 'MK'; you submit for RS"
    )
    assert client.get("/api/v1/declarations", headers=mk).json() == []


def test_another_partys_declaration_is_404_and_never_listed(
    client: TestClient, rs: Headers, mk: Headers
) -> None:
    stored = post(client, nested("SECRET"), headers=rs).json()["declarations"][0]["id"]
    assert client.get(f"/api/v1/declarations/{stored}", headers=mk).status_code == 404
    assert client.get(f"/api/v1/declarations/{stored}", headers=rs).status_code == 200
    assert client.get("/api/v1/declarations?reference=SECRET", headers=mk).json() == []
    assert client.get("/api/v1/declarations/stats", headers=mk).json()["declarations"] == 0
    assert client.get("/api/v1/declarations/stats", headers=rs).json()["declarations"] == 1
    assert client.get("/api/v1/declarations/999999", headers=rs).status_code == 404


def test_malformed_bodies_get_a_plain_400(client: TestClient, rs: Headers, mk: Headers) -> None:
    response = client.post(
        "/api/v1/declarations",
        content=b"{not json",
        headers={**rs, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("the body is not valid JSON")
    response = post(client, {"declarations": "all of them"}, headers=rs)
    assert response.status_code == 400
    assert "list" in response.json()["detail"]


def test_openapi_documents_the_submission_shape(
    client: TestClient, rs: Headers, mk: Headers
) -> None:
    spec = client.get("/openapi.json").json()
    assert "DeclarationIn" in spec["components"]["schemas"]
    body = spec["paths"]["/api/v1/declarations"]["post"]["requestBody"]
    refs = [s["$ref"] for s in body["content"]["application/json"]["schema"]["oneOf"]]
    assert refs == ["#/components/schemas/DeclarationIn", "#/components/schemas/DeclarationBatchIn"]


def test_oversized_requests_are_refused_plainly(
    client: TestClient, rs: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    from riskhub.declarations import routes

    monkeypatch.setattr(routes, "MAX_BATCH", 2)
    response = post(client, {"declarations": [nested("A"), nested("B"), nested("C")]}, headers=rs)
    assert response.status_code == 413
    assert response.json()["detail"] == "3 declarations in one request; send at most 2 at a time"
    monkeypatch.setattr(routes, "MAX_BODY_BYTES", 100)
    response = post(client, nested("A"), headers=rs)
    assert response.status_code == 413
    assert "send smaller batches" in response.json()["detail"]


def test_nul_in_a_filter_is_a_plain_422_not_a_database_error(
    client: TestClient, rs: Headers
) -> None:
    # PostgreSQL raises on NUL in a bound text parameter; found by fuzzing in CI.
    for name in ("reference", "office"):
        response = client.get(f"/api/v1/declarations?{name}=A%00B", headers=rs)
        assert response.status_code == 422, name
        assert "NUL" in str(response.json()["detail"]), name
