"""The audit log page: the auditor's own Party's chain only, newest first, filtered, paginated."""

from __future__ import annotations

import re
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from riskhub.access.roles import Role
from riskhub.audit import service as audit
from riskhub.audit.models import AuditRecord
from riskhub.db.tenancy import acting_for
from tests.conftest import MakeUser
from tests.web.conftest import sign_in


def _chain(engine: Engine, party: str) -> int:
    with acting_for(party), Session(engine) as session:
        return int(session.scalar(select(func.count()).where(AuditRecord.party == party)) or 0)


def _seqs(page: str) -> list[int]:
    return [int(s) for s in re.findall(r'<tr><td class="num">(\d+)</td>', page)]


def test_an_auditor_pages_through_the_partys_own_chain_newest_first(
    client: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    for k in range(110):
        audit.append(engine=engine, party="RS", actor="cli", action=f"lpco.import.{k % 2}",
                     object=f"row:{k}", outcome="done", source="cli")  # fmt: skip
    audit.append(engine=engine, party="MK", actor="cli", action="mk.secret", outcome="done")
    sign_in(client, make_user("RS", Role.AUDITOR, name="Auditor"))
    total = _chain(engine, "RS")
    assert total == 111  # and the auditor's own sign-in
    pages = -(-total // 50)
    first = client.get("/audit").text
    assert f"{total} records, newest first: page 1 of {pages}" in first
    assert _seqs(first) == list(range(total, total - 50, -1))
    assert "web.login" in first and "signed in" in first  # the newest: this sign-in
    assert "mk.secret" not in first
    # Reading the log is in the log too: the page view just made is now the newest.
    total = _chain(engine, "RS")
    with acting_for("RS"), Session(engine) as session:
        newest = session.scalars(select(AuditRecord).where(AuditRecord.seq == total)).one()
    assert (newest.action, newest.outcome, newest.actor) == ("GET /audit", "200",
                                                             "user:1 (auditor)")  # fmt: skip
    pages = -(-total // 50)
    last = client.get("/audit", params={"page": pages}).text
    assert _seqs(last) == list(range(total - 50 * (pages - 1), 0, -1))
    assert 'rel="next"' not in last and 'rel="prev"' in last
    beyond = client.get("/audit", params={"page": pages + 1}).text
    assert f"There is no page {pages + 1}" in beyond

    odd = client.get("/audit", params={"action": "lpco.import.1"}).text
    assert "55 records matching, newest first: page 1 of 2" in odd
    assert "lpco.import.0" not in odd
    # Links to other pages keep the filter.
    assert 'href="/audit?action=lpco.import.1&amp;page=2"' in odd
    assert "No record matches" in client.get("/audit", params={"action": "%"}).text
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert "No record matches" in client.get("/audit", params={"since": tomorrow}).text
    today = date.today().isoformat()
    total = _chain(engine, "RS")
    assert f"{total} records matching" in client.get("/audit", params={"until": today}).text
    assert client.get("/audit", params={"since": "28/11/2026"}).status_code == 422
    wrong_way = client.get("/audit", params={"since": today, "until": "2026-01-01"})
    assert wrong_way.status_code == 422 and "is after the last day" in wrong_way.text
    assert client.get("/audit", params={"page": 0}).status_code == 422


def test_the_page_says_whether_the_chain_verifies(
    client: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    for k in range(3):
        audit.append(engine=engine, party="RS", actor="cli", action="test", object=str(k),
                     outcome="done")  # fmt: skip
    sign_in(client, make_user("RS", Role.AUDITOR))
    page = client.get("/audit").text
    assert 'hx-get="/audit/verify" hx-trigger="load"' in page
    verdict = client.get("/audit/verify", headers={"HX-Request": "true"})
    assert verdict.status_code == 200 and "<html" not in verdict.text
    # The sign-in, three records, and the page view that asked for the verdict.
    assert "The chain verifies: 5 records linked and unaltered" in verdict.text
    plain = client.get("/audit/verify").text  # without htmx: a page of its own
    assert "<html" in plain and "The chain verifies" in plain
    # Someone with the database's keys rewrites a record: the page says so.
    with Session(engine) as session, session.begin():
        session.execute(update(AuditRecord).where(AuditRecord.party == "RS", AuditRecord.seq == 2)
                        .values(outcome="never happened"))  # fmt: skip
    broken = client.get("/audit/verify", headers={"HX-Request": "true"}).text
    assert "The chain does NOT verify" in broken
    assert "record #2" in broken and "altered after it was written" in broken


def test_only_auditors_open_the_audit_log(client: TestClient, make_user: MakeUser) -> None:
    for party, role in (("RS", Role.ANALYST), ("RS", Role.PARTY_ADMIN), ("XS", Role.SECRETARIAT),
                        ("RS", Role.OFFICER)):  # fmt: skip
        sign_in(
            client, make_user(party, role, offices=["RS-PRE"] if role is Role.OFFICER else None)
        )
        for path in ("/audit", "/audit/verify"):
            refused = client.get(path)
            assert refused.status_code == 403, (role, path)
            assert f"The {role.value} role does not open this page." in refused.text
    client.cookies.clear()
    assert client.get("/audit").headers["location"] == "/login"


def test_page_views_and_refused_pages_are_in_the_log(
    client: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    def records(chain: str) -> list[tuple[str, str, str]]:
        with acting_for(chain), Session(engine) as session:
            rows = session.scalars(
                select(AuditRecord).where(AuditRecord.party == chain).order_by(AuditRecord.seq)
            )
            return [(r.actor, r.action, r.outcome) for r in rows]

    assert client.get("/queue", follow_redirects=False).status_code == 303  # sign in first
    token = make_user("RS", Role.ANALYST)
    sign_in(client, token)
    assert client.get("/queue").status_code == 403
    assert client.get("/kpis", params={"scope": "office:RS-PRE"}).status_code == 200
    assert client.get("/static/style.css").status_code == 200  # files show no data: no record
    analyst = "user:1 (analyst)"
    assert records("RS") == [
        (analyst, "web.login", "signed in from testclient"),
        (analyst, "GET /queue", "403"),
        (analyst, "GET /kpis", "200"),
    ]
    assert records(audit.HUB_CHAIN) == [("anonymous", "GET /queue", "303")]
