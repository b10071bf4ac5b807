"""The pages over HTTP: sign-in with the API's tokens, and what each role sees on the tracker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from riskhub.access.roles import Role
from riskhub.app import create_app
from riskhub.web.session import COOKIE
from tests.conftest import MakeUser


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(), follow_redirects=False) as c:
        yield c


def _signed_in(client: TestClient, token: str) -> TestClient:
    done = client.post("/login", data={"token": token})
    assert done.status_code == 303 and done.headers["location"] == "/"
    cookie = done.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    return client


def test_pages_need_a_valid_token(client: TestClient, make_user: MakeUser) -> None:
    for path in ("/", "/action-plan"):
        assert client.get(path).headers["location"] == "/login"
    bad = client.post("/login", data={"token": "rh.RS.1.not-the-secret"})
    assert bad.status_code == 401 and "not valid" in bad.text
    assert COOKIE not in bad.headers.get("set-cookie", "")
    client.cookies.set(COOKIE, "rh.RS.99.forged")
    assert client.get("/").headers["location"] == "/login"


def test_the_tracker_shows_every_activity_and_measures_for_aggregate_readers(
    client: TestClient, make_user: MakeUser
) -> None:
    _signed_in(client, make_user("XS", Role.SECRETARIAT, name="Secretariat M&E"))
    home = client.get("/")
    assert home.status_code == 200 and "Secretariat M&amp;E" in home.text
    page = client.get("/action-plan").text
    assert page.count('<tr id="activity-') == 30
    assert "Priority passage granted to 300 AEOs." in page
    assert "0 of 300" in page  # L7 measured live: no AEOs on this hub
    assert client.post("/logout").headers["location"] == "/login"


def test_an_officer_sees_the_plan_without_the_cross_party_measures(
    client: TestClient, make_user: MakeUser
) -> None:
    _signed_in(client, make_user("RS", Role.OFFICER, offices=["RS-PRE"]))
    page = client.get("/action-plan").text
    assert page.count('<tr id="activity-') == 30
    assert "0 of 300" not in page and "shown to roles that read aggregates" in page
