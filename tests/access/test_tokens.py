"""Tokens, roles and what a client may not set for itself."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.access import service as access
from riskhub.access import tokens
from riskhub.access.models import ApiToken, User
from riskhub.access.roles import Role
from riskhub.app import create_app
from tests.conftest import MakeUser
from tests.helpers import nested


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_valid_token_says_who_you_are(client: TestClient, make_user: MakeUser) -> None:
    token = make_user("AL", Role.OFFICER, name="Arta", offices=["AL-MOR"])
    me = client.get("/api/v1/me", headers=bearer(token)).json()
    assert (me["party"], me["role"], me["name"], me["offices"]) == (
        "AL", "officer", "Arta", ["AL-MOR"],
    )  # fmt: skip
    assert "declarations:read" in me["permissions"]


def test_tokens_are_stored_only_as_argon2_hashes(engine: Engine, make_user: MakeUser) -> None:
    token = make_user("RS", Role.ANALYST)
    secret = token.rsplit(".", 1)[1]
    with Session(engine) as session:
        row = session.scalars(select(ApiToken)).one()
    assert row.secret_hash.startswith("$argon2")
    assert secret not in row.secret_hash


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer rh.RS",
        "Bearer rh.RS.notanumber.aaaaaaaaaaaaaaaaaaaaaaaa",
        "Bearer rh.RS.999999.aaaaaaaaaaaaaaaaaaaaaaaa",
        "Bearer xx.RS.1.aaaaaaaaaaaaaaaaaaaaaaaa",
    ],
)
def test_empty_and_malformed_tokens_are_401(client: TestClient, header: str) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_wrong_secret_and_wrong_party_are_401(client: TestClient, make_user: MakeUser) -> None:
    token = make_user("RS", Role.ANALYST)
    prefix, party, token_id, secret = token.split(".")
    tampered = f"{prefix}.{party}.{token_id}.{'x' * len(secret)}"
    assert client.get("/api/v1/me", headers=bearer(tampered)).status_code == 401
    elsewhere = f"{prefix}.MK.{token_id}.{secret}"
    assert client.get("/api/v1/me", headers=bearer(elsewhere)).status_code == 401


def test_expired_token_is_401(client: TestClient, engine: Engine) -> None:
    past = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=40)
    with Session(engine) as session, session.begin():
        user = access.create_user(
            session=session, party="RS", name="old", role=Role.ANALYST, now=past
        )
        token = access.issue_token(session=session, user=user, days=30, now=past).token
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_revoked_token_and_disabled_user_are_401_at_once(
    client: TestClient, engine: Engine, make_user: MakeUser
) -> None:
    revoked = make_user("RS", Role.ANALYST, name="a")
    assert client.get("/api/v1/me", headers=bearer(revoked)).status_code == 200
    parts = tokens.parse_token(revoked)
    assert parts is not None
    now = datetime.now(UTC).replace(tzinfo=None)
    with Session(engine) as session, session.begin():
        assert access.revoke_token(session=session, party="RS", token_id=parts.token_id, now=now)
    assert client.get("/api/v1/me", headers=bearer(revoked)).status_code == 401

    disabled = make_user("RS", Role.ANALYST, name="b")
    assert client.get("/api/v1/me", headers=bearer(disabled)).status_code == 200
    with Session(engine) as session, session.begin():
        user = session.scalars(select(User).where(User.name == "b")).one()
        user.disabled = True
    assert client.get("/api/v1/me", headers=bearer(disabled)).status_code == 401


def test_nobody_raises_their_own_role(
    client: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    admin = make_user("RS", Role.PARTY_ADMIN, name="boss")
    officer = make_user("RS", Role.OFFICER, name="o", offices=["RS-PRE"])
    me = client.get("/api/v1/me", headers=bearer(admin)).json()
    response = client.put(
        f"/api/v1/users/{me['user_id']}/role", json={"role": "auditor"}, headers=bearer(admin)
    )
    assert response.status_code == 403
    officer_id = client.get("/api/v1/me", headers=bearer(officer)).json()["user_id"]
    response = client.put(
        f"/api/v1/users/{officer_id}/role", json={"role": "party_admin"}, headers=bearer(officer)
    )
    assert response.status_code == 403
    with Session(engine) as session:
        assert session.get(User, officer_id).role == "officer"  # type: ignore[union-attr]


def test_clients_cannot_set_party_or_ownership_fields(
    client: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    admin = make_user("RS", Role.PARTY_ADMIN)
    response = client.post(
        "/api/v1/users", json={"name": "x", "role": "analyst", "party": "MK"}, headers=bearer(admin)
    )
    assert response.status_code == 422
    response = client.post(
        "/api/v1/users", json={"name": "y", "role": "analyst", "id": 1, "disabled": True},
        headers=bearer(admin),
    )  # fmt: skip
    assert response.status_code == 422
    created = client.post(
        "/api/v1/users", json={"name": "z", "role": "analyst"}, headers=bearer(admin)
    ).json()
    assert created["party"] == "RS"
    # Declarations: a body naming another Party is refused, whatever the caller claims.
    body = nested("R1", party="MK", office="MK-TAB")
    result = client.post("/api/v1/declarations", json=body, headers=bearer(admin)).json()
    assert result["stored"] == 0
    assert result["problems"][0]["reason"] == "declaration belongs to Party 'MK'; you submit for RS"


def test_officers_work_at_their_offices_only(client: TestClient, make_user: MakeUser) -> None:
    officer = bearer(make_user("RS", Role.OFFICER, offices=["RS-PRE"]))
    analyst = bearer(make_user("RS", Role.ANALYST))
    assert (
        client.post(
            "/api/v1/declarations", json=nested("HOR1", office="RS-HOR"), headers=analyst
        ).status_code
        == 201
    )
    response = client.post(
        "/api/v1/declarations", json=nested("HOR2", office="RS-HOR"), headers=officer
    )
    assert response.status_code == 422
    assert (
        response.json()["problems"][0]["reason"] == "you may lodge at RS-PRE only, not at 'RS-HOR'"
    )
    assert (
        client.post("/api/v1/declarations", json=nested("PRE1"), headers=officer).status_code == 201
    )
    seen = {d["reference"] for d in client.get("/api/v1/declarations", headers=officer).json()}
    assert seen == {"PRE1"}
    hor = client.get("/api/v1/declarations?reference=HOR1", headers=analyst).json()[0]["id"]
    assert client.get(f"/api/v1/declarations/{hor}", headers=officer).status_code == 404


@pytest.mark.parametrize(
    ("party", "role", "reason"),
    [
        (
            "RS",
            Role.SECRETARIAT,
            "the secretariat role belongs to the CEFTA Secretariat (XS) alone",
        ),
        ("XS", Role.ANALYST, "the secretariat role belongs to the CEFTA Secretariat (XS) alone"),
        ("RS", Role.EU_PARTNER, "EU partner users, and only they, belong to an EU Member State"),
        ("RS", Role.OFFICER, "an officer works at one or more offices: give --office"),
        ("QQ", Role.ANALYST, "unknown Party 'QQ'"),
        ("ZZ", Role.RMWG, "RMWG members belong to a CEFTA Party's administration"),
        ("HU", Role.RMWG, "EU partner users, and only they, belong to an EU Member State"),
    ],
)
def test_users_fit_their_party(engine: Engine, party: str, role: Role, reason: str) -> None:
    with Session(engine) as session, pytest.raises(access.AccessError, match=re.escape(reason)):
        access.create_user(
            session=session, party=party, name="n", role=role,
            now=datetime.now(UTC).replace(tzinfo=None),
        )  # fmt: skip


def test_an_administrator_cannot_escalate_through_other_accounts(
    client: TestClient, make_user: MakeUser
) -> None:
    admin = bearer(make_user("RS", Role.PARTY_ADMIN, name="boss"))
    for role in ("party_admin", "auditor"):
        response = client.post(
            "/api/v1/users", json={"name": f"sock-{role}", "role": role}, headers=admin
        )
        assert response.status_code == 403
        assert f"only an operator manages {role} users" in response.json()["detail"]
    sock = client.post(
        "/api/v1/users", json={"name": "sock", "role": "analyst"}, headers=admin
    ).json()
    assert (
        client.put(
            f"/api/v1/users/{sock['id']}/role", json={"role": "party_admin"}, headers=admin
        ).status_code
        == 403
    )
    # The first token of a new user, once; never a second one, never an existing user's.
    assert client.post(f"/api/v1/users/{sock['id']}/tokens", headers=admin).status_code == 201
    assert client.post(f"/api/v1/users/{sock['id']}/tokens", headers=admin).status_code == 403
    auditor_id = client.get("/api/v1/me", headers=bearer(make_user("RS", Role.AUDITOR))).json()[
        "user_id"
    ]
    assert client.post(f"/api/v1/users/{auditor_id}/tokens", headers=admin).status_code == 403


def test_a_role_change_brings_what_the_role_needs(client: TestClient, make_user: MakeUser) -> None:
    admin = bearer(make_user("RS", Role.PARTY_ADMIN))
    user = client.post("/api/v1/users", json={"name": "u", "role": "analyst"}, headers=admin).json()
    url = f"/api/v1/users/{user['id']}/role"
    refused = client.put(url, json={"role": "officer"}, headers=admin)
    assert refused.status_code == 400
    assert refused.json()["detail"] == "an officer works at one or more offices: give --office"
    assert (
        client.put(url, json={"role": "officer", "offices": ["MK-TAB"]}, headers=admin).status_code
        == 400
    )
    officer = client.put(url, json={"role": "officer", "offices": ["RS-PRE"]}, headers=admin).json()
    assert (officer["role"], officer["offices"]) == ("officer", "RS-PRE")
    back = client.put(url, json={"role": "analyst"}, headers=admin).json()
    assert (back["role"], back["offices"]) == ("analyst", None)


def test_an_officer_cannot_take_over_another_offices_declaration(
    client: TestClient, make_user: MakeUser
) -> None:
    analyst = bearer(make_user("RS", Role.ANALYST))
    officer = bearer(make_user("RS", Role.OFFICER, offices=["RS-BAT"]))
    assert (
        client.post(
            "/api/v1/declarations", json=nested("SECRET1", office="RS-GOS"), headers=analyst
        ).status_code
        == 201
    )
    response = client.post(
        "/api/v1/declarations", json=nested("SECRET1", office="RS-BAT"), headers=officer
    )
    assert response.status_code == 422
    assert response.json()["declarations"] == []
    assert (
        response.json()["problems"][0]["reason"]
        == "this declaration is lodged at an office you do not work at"
    )
    stored = client.get("/api/v1/declarations?reference=SECRET1", headers=analyst).json()[0]
    assert (stored["office"], stored["version"]) == ("RS-GOS", 1)
