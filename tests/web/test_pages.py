"""The pages over HTTP: page sessions begun with the API's tokens, errors as pages, the nav."""

from __future__ import annotations

from datetime import timedelta

import altair as alt
import pytest
from altair.utils.schemapi import SchemaValidationError
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from riskhub.access.models import ApiToken, User
from riskhub.access.roles import Role
from riskhub.audit.models import AuditRecord
from riskhub.db.tenancy import acting_for
from riskhub.web.charts import to_json
from riskhub.web.models import WebSession
from riskhub.web.nav import PAGES
from riskhub.web.session import COOKIE
from tests.conftest import MakeUser
from tests.web.conftest import sign_in


def test_pages_need_a_valid_session(client: TestClient, make_user: MakeUser) -> None:
    for path in ("/", "/action-plan", "/action-plan/S5", "/queue", "/profiles"):
        assert client.get(path).headers["location"] == "/login", path
    bad = client.post("/login", data={"token": "rh.RS.1.not-the-secret-at-all-no"})
    assert bad.status_code == 401 and "not valid" in bad.text
    assert COOKIE not in bad.headers.get("set-cookie", "")
    for forged in ("rh.RS.99.forged", "ws.RS.1." + "A" * 43, "x" * 500):
        client.cookies.set(COOKIE, forged)
        assert client.get("/").headers["location"] == "/login", forged


def test_a_session_ends_at_sign_out_and_when_its_token_is_revoked(
    client: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    token = make_user("RS", Role.ANALYST, name="Ana")
    sign_in(client, token)
    cookie = client.cookies.get(COOKIE)
    assert client.get("/").status_code == 200
    assert client.post("/logout").headers["location"] == "/login"
    client.cookies.set(COOKIE, cookie)  # a copy of the cookie kept from before: ended too
    assert client.get("/").headers["location"] == "/login"

    sign_in(client, token)
    assert client.get("/").status_code == 200
    with acting_for("RS"), Session(engine) as session, session.begin():
        session.execute(update(ApiToken).values(revoked_at=ApiToken.created_at))
    assert client.get("/").headers["location"] == "/login"
    with acting_for("RS"), Session(engine) as session:
        rows = session.scalars(select(WebSession)).all()
        assert len(rows) == 2 and rows[0].ended_at is not None and rows[1].ended_at is None
        assert all(r.expires_at - r.created_at == timedelta(hours=12) for r in rows)
        actions = session.scalars(select(AuditRecord.action).where(AuditRecord.party == "RS"))
        assert list(actions).count("web.login") == 2


def test_a_disabled_user_is_signed_out(
    client: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    sign_in(client, make_user("AL", Role.OFFICER, offices=["AL-MOR"]))
    with acting_for("AL"), Session(engine) as session, session.begin():
        session.execute(update(User).values(disabled=True))
    assert client.get("/").headers["location"] == "/login"


def test_each_role_is_offered_the_pages_it_may_open_and_refused_the_rest(
    client: TestClient, make_user: MakeUser
) -> None:
    offered = {
        Role.OFFICER: {"Work queue", "RIFs", "Registries", "Training", "Action Plan"},
        Role.SECRETARIAT: {"KPIs", "Common profiles", "Risk register", "Joint actions",
                           "Assessments", "Action Plan"},
        Role.AUDITOR: {"Audit log", "Action Plan"},
    }  # fmt: skip
    for role, labels in offered.items():
        sign_in(client, make_user("XS" if role is Role.SECRETARIAT else "ME", role,
                                  offices=["ME-DOB"] if role is Role.OFFICER else None))  # fmt: skip
        home = client.get("/").text
        shown = {p.label for p in PAGES if f'href="{p.path}"' in home}
        assert shown == labels, role
        for page in PAGES:
            if page.label not in labels:
                refused = client.get(page.path)
                assert refused.status_code == 403, (role, page.path)
                assert f"The {role.value} role does not open this page." in refused.text
                assert 'aria-label="Pages"' in refused.text  # still their navigation


def test_a_form_from_another_site_is_refused(client: TestClient, make_user: MakeUser) -> None:
    token = make_user("RS", Role.ANALYST)
    sign_in(client, token)
    form = {"status": "in_progress", "progress": "10"}
    for headers in ({"origin": "https://evil.example"}, {"origin": "null"},
                    {"sec-fetch-site": "cross-site"}, {"sec-fetch-site": "same-site"}):  # fmt: skip
        sent = client.post("/action-plan/S5", data=form, headers=headers)
        assert sent.status_code == 403 and "another site" in sent.text, headers
        # Nobody is signed in (to an attacker's account) or out from another site either.
        assert client.post("/login", data={"token": token}, headers=headers).status_code == 403
        assert client.post("/logout", headers=headers).status_code == 403
    same = {"origin": str(client.base_url), "sec-fetch-site": "same-origin"}
    assert client.post("/action-plan/S5", data=form, headers=same).status_code == 303
    page = client.get("/action-plan/S5")
    assert page.headers["cache-control"] == "no-store"  # pages name traders: not kept


def test_signing_out_ends_the_session_even_when_its_token_was_revoked(
    client: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    sign_in(client, make_user("RS", Role.ANALYST))
    with acting_for("RS"), Session(engine) as session, session.begin():
        session.execute(update(ApiToken).values(revoked_at=ApiToken.created_at))
    client.post("/logout")
    with acting_for("RS"), Session(engine) as session:
        assert session.scalars(select(WebSession.ended_at)).one() is not None


def test_api_errors_stay_json(client: TestClient) -> None:
    answer = client.get("/api/v1/profiles")
    assert answer.status_code == 401 and answer.json()["detail"].startswith("a valid API token")
    assert client.get("/no-such-page").status_code == 404
    assert "Not found" in client.get("/no-such-page").text


def test_the_page_tests_check_each_chart_against_the_vega_lite_schema() -> None:
    good = alt.Chart(alt.InlineData(values=[{"a": 1}])).mark_bar().encode(x="a:Q")
    assert '"mark":{"type":"bar"}' in to_json(good, "one bar")
    bad = alt.Chart(alt.InlineData(values=[{"a": 1}])).mark_bar().encode(x="a:Q")
    bad.mark = "not-a-mark"  # type: ignore[assignment]
    with pytest.raises(SchemaValidationError):
        to_json(bad)
