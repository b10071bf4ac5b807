"""Mutual recognition of AEOs, priority passage in selectivity, row-level security, AEO KPIs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from riskhub.access.roles import Role
from riskhub.app import create_app
from riskhub.cli import app as cli
from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for
from riskhub.inspections.models import ReleaseTime
from riskhub.kpis import aeo as aeo_kpis
from riskhub.registries import recognition
from riskhub.registries.models import AeoAuthorisation
from riskhub.registries.service import aeo_register
from riskhub.selectivity import service as selectivity
from tests.conftest import TEST_DATABASE_URL, MakeUser, is_postgres
from tests.helpers import nested
from tests.registries.support import decide, decision, reasons, submit

runner = CliRunner()
MK_AEO = "MK100000002"  # the exporter of tests.helpers' declarations


def authorise(engine: Engine, party: str, trader: str, since: date = date(2024, 1, 1)) -> None:
    with acting_for(party), Session(engine) as session, session.begin():
        session.add(AeoAuthorisation(party=party, trader=trader, kind="AEOF", valid_from=since,
                                     valid_to=None, created_at=utcnow()))  # fmt: skip


def recognise(engine: Engine, party: str, partner: str, start: date, end: date | None = None,
              reference: str | None = None) -> int:  # fmt: skip
    with acting_for(party), Session(engine) as session, session.begin():
        return recognition.add_recognition(
            session=session, party=party, partner=partner,
            reference=reference or f"MRA-{party}-{partner}-{start}", valid_from=start,
            valid_to=end, actor="test", now=utcnow(),
        ).id  # fmt: skip


def refusal(engine: Engine, party: str, partner: str, start: date, end: date | None = None,
            reference: str | None = None) -> str:  # fmt: skip
    try:
        recognise(engine, party, partner, start, end, reference)
    except recognition.RecognitionError as error:
        return f"{error.status}: {error}"
    return "accepted"


def test_agreements_and_the_refused_ones(engine: Engine) -> None:
    start = date(2026, 5, 1)
    agreement = recognise(engine, "RS", "mk", start, reference="MRA-1")
    assert refusal(engine, "RS", "RS", start) == "422: partner: RS cannot recognise its own AEOs"
    assert refusal(engine, "RS", "XS", start).startswith("422: partner: 'XS' is not a Party")
    assert refusal(engine, "RS", "ZZ", start).startswith("422: partner: 'ZZ' is not a Party")
    assert refusal(engine, "RS", "AL", start, date(2026, 4, 1)) == (
        "422: valid_to: 2026-04-01 is before valid_from 2026-05-01"
    )
    assert refusal(engine, "RS", "MK", date(2027, 1, 1)) == (
        "409: RS already recognises North Macedonia under MRA-1 from 2026-05-01"
    )
    assert refusal(engine, "RS", "AL", start, reference="MRA-1") == (
        "409: reference: RS already has an agreement MRA-1"
    )
    assert refusal(engine, "RS", "EU", start) == "accepted"

    def end(party: str, last_day: date) -> str:
        try:
            with acting_for(party), Session(engine) as session, session.begin():
                row = recognition.end_recognition(session=session, party=party,
                                                  recognition_id=agreement, last_day=last_day,
                                                  actor="test", now=utcnow())  # fmt: skip
                return "not found" if row is None else f"ends {row.valid_to}"
        except recognition.RecognitionError as error:
            return f"{error.status}: {error}"

    assert end("MK", date(2026, 12, 31)) == "not found"
    assert end("RS", date(2026, 4, 30)).startswith("422: last_day: 2026-04-30 is before")
    assert end("RS", date(2026, 12, 31)) == "ends 2026-12-31"
    assert end("RS", date(2026, 11, 30)) == "409: agreement MRA-1 was already ended on 2026-12-31"
    # Once ended, a new agreement may follow it.
    assert refusal(engine, "RS", "MK", date(2027, 1, 1), reference="MRA-2") == "accepted"


def test_a_recognised_foreign_exporter_gets_priority_passage_while_the_agreement_runs(
    app_engine: Engine,
) -> None:
    authorise(app_engine, "MK", MK_AEO)
    recognise(app_engine, "RS", "MK", date(2026, 5, 1), date(2026, 6, 30))
    days = ["2026-04-30T08:00:00Z", "2026-05-01T08:00:00Z", "2026-07-01T08:00:00Z"]
    ids = submit(app_engine, *(nested(f"A{i}", lodged_at=d) for i, d in enumerate(days)))
    decide(app_engine, ids)
    got = [decision(app_engine, i) for i in ids]
    assert [(d.aeo, d.priority) for d in got] == [(False, False), (True, True), (False, False)]
    (why,) = [r for r in reasons(got[1]) if r.get("aeo")]
    assert why == {
        "aeo": True, "priority": True,
        "sentence": "Authorised Economic Operator: the exporter MK100000002 holds an "
        "authorisation of North Macedonia, which RS recognises (MRA-RS-MK-2026-05-01): "
        "priority lane, fewer controls",
    }  # fmt: skip


def test_own_and_eu_authorisations_count_and_the_queue_puts_priority_first(
    app_engine: Engine,
) -> None:
    authorise(app_engine, "RS", "RS100000001")
    authorise(app_engine, "HU", "HU100000007")
    recognise(app_engine, "RS", "EU", date(2026, 1, 1))
    own = nested("OWN", lodged_at="2026-06-01T06:00:00Z")
    eu = nested("EU", lodged_at="2026-06-01T07:00:00Z", importer="RS100000009",
                exporter="HU100000007")  # fmt: skip
    plain = nested("PLAIN", lodged_at="2026-06-01T09:00:00Z", importer="RS100000009")
    ids = submit(app_engine, own, eu, plain)
    decide(app_engine, ids)
    rows = [decision(app_engine, i) for i in ids]
    assert [r.priority for r in rows] == [True, True, False]
    assert (
        "holds RS's authorisation" in next(r for r in reasons(rows[0]) if r.get("aeo"))["sentence"]
    )
    with acting_for("RS"), Session(app_engine) as session:
        queue = selectivity.list_decisions(session=session, party="RS")
        # Priority first (then the latest lodged), though the plain one came last.
        assert [q.declaration_id for q in queue] == [ids[1], ids[0], ids[2]]


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


def test_api_recognitions_decision_priority_and_kpis(
    client: TestClient, make_user: MakeUser, app_engine: Engine
) -> None:
    analyst = {"Authorization": f"Bearer {make_user('RS', Role.ANALYST)}"}
    officer = {"Authorization": f"Bearer {make_user('RS', Role.OFFICER, offices=['RS-PRE'])}"}
    body = {"partner": "MK", "reference": "MRA-API", "valid_from": "2026-01-01"}
    made = client.post("/api/v1/aeo/recognitions", json=body, headers=analyst)
    assert made.status_code == 201, made.text
    assert client.post("/api/v1/aeo/recognitions", json=body, headers=analyst).status_code == 409
    assert client.post("/api/v1/aeo/recognitions", json=body, headers=officer).status_code == 403
    listed = client.get("/api/v1/aeo/recognitions", headers=officer).json()
    assert [(r["partner"], r["valid_to"]) for r in listed] == [("MK", None)]
    authorise(app_engine, "MK", MK_AEO)
    submitted = client.post("/api/v1/declarations", json=nested("P1"), headers=officer).json()
    assert submitted["declarations"][0]["decision"]["priority"] is True
    queue = client.get("/api/v1/decisions", headers=officer).json()
    assert queue[0]["priority"] is True
    ended = client.post(f"/api/v1/aeo/recognitions/{made.json()['id']}/end",
                        json={"last_day": "2026-12-31"}, headers=analyst)  # fmt: skip
    assert ended.json()["valid_to"] == "2026-12-31"
    kpis = client.get("/api/v1/aeo/kpis", headers=analyst).json()
    assert kpis["priority_passage"]["target"] == 300
    assert [r["party"] for r in kpis["priority_passage"]["parties"]] == ["RS"]


def test_priority_passage_count_and_release_times_aeo_vs_others(app_engine: Engine) -> None:
    authorise(app_engine, "RS", "RS100000001")
    authorise(app_engine, "MK", MK_AEO)
    authorise(app_engine, "MK", "MK100000003", since=date(2030, 1, 1))  # not yet valid
    recognise(app_engine, "RS", "MK", date(2026, 1, 1))
    on = date(2026, 6, 1)
    passage = aeo_kpis.priority_passage(engine=app_engine, parties=["MK", "RS"], on=on)
    assert passage["parties"] == [
        {"party": "MK", "own": 1, "recognised": 0, "total": 1},
        {"party": "RS", "own": 1, "recognised": 1, "total": 2},
    ]
    assert (passage["total"], passage["share_of_target"]) == (2, round(2 / 300, 4))
    # EU Member States' and the sandbox's own registers are no CEFTA priority passage (L7).
    authorise(app_engine, "HU", "HU100000001")
    authorise(app_engine, "ZZ", "ZZ100000001")
    wide = aeo_kpis.priority_passage(engine=app_engine, parties=["HU", "MK", "RS", "ZZ"], on=on)
    assert ([r["party"] for r in wide["parties"]], wide["total"]) == (["MK", "RS"], 2)
    aeo = nested("R1", lodged_at="2026-06-01T08:00:00Z")
    other = nested("R2", lodged_at="2026-06-01T08:00:00Z", importer="RS100000009",
                   exporter="AL100000001")  # fmt: skip
    ids = submit(app_engine, aeo, other)
    decide(app_engine, ids)
    arrival = datetime(2026, 6, 1, 7, 0)
    with acting_for("RS"), Session(app_engine) as session, session.begin():
        for declaration_id, hours in zip(ids, (1.5, 6.0), strict=True):
            session.add(ReleaseTime(declaration_id=declaration_id, party="RS",
                                    arrival_at=arrival,
                                    released_at=arrival + timedelta(hours=hours),
                                    updated_at=utcnow()))  # fmt: skip
    rows = aeo_kpis.release_times(engine=app_engine, parties=["RS"],
                                  since=datetime(2026, 5, 1), until=datetime(2026, 7, 1))  # fmt: skip
    rs = next(r for r in rows if r["party"] == "RS")
    assert (rs["aeo"]["median"], rs["non_aeo"]["median"]) == (1.5, 6.0)
    hidden = aeo_kpis.release_times(engine=app_engine, parties=["RS"], since=datetime(2026, 5, 1),
                                    until=datetime(2026, 7, 1), min_group=10)  # fmt: skip
    assert hidden[0]["aeo"] is None  # too few to show across Parties


def test_cli_recognise_recognitions_list_and_kpis(engine: Engine) -> None:
    authorise(engine, "MK", MK_AEO)
    made = runner.invoke(cli, ["aeo", "recognise", "RS", "MK", "--reference", "MRA-CLI",
                               "--from", "2026-01-01"])  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "RS recognises the AEOs of North Macedonia" in made.output
    again = runner.invoke(cli, ["aeo", "recognise", "RS", "MK", "--reference", "MRA-CLI2",
                                "--from", "2026-02-01"])  # fmt: skip
    assert again.exit_code == 2 and "already recognises" in again.output
    listed = runner.invoke(cli, ["aeo", "recognitions", "--party", "RS"])
    assert "MRA-CLI" in listed.output
    held = runner.invoke(cli, ["aeo", "list", "RS", "--on", "2026-06-01"])
    assert MK_AEO in held.output and "1 recognised" in held.output
    ended = runner.invoke(cli, ["aeo", "end-recognition", "RS", "MRA-CLI",
                                "--last-day", "2026-03-31"])  # fmt: skip
    assert ended.exit_code == 0, ended.output
    kpis = runner.invoke(cli, ["aeo", "kpis", "--json"])
    assert orjson.loads(kpis.stdout)["priority_passage"]["target"] == 300


@pytest.mark.skipif(not is_postgres(TEST_DATABASE_URL or ""), reason="PostgreSQL only")
def test_rls_a_party_reads_the_authorisations_of_the_parties_it_recognises(
    app_engine: Engine,
) -> None:
    authorise(app_engine, "MK", MK_AEO)
    authorise(app_engine, "HU", "HU100000007")
    authorise(app_engine, "RS", "RS100000001")

    def seen(party: str) -> set[str]:
        with acting_for(party), app_engine.connect() as conn:
            return set(conn.execute(text("SELECT trader FROM aeo_authorisations")).scalars())

    assert seen("RS") == {"RS100000001"}
    recognise(app_engine, "RS", "MK", date(2026, 1, 1))
    assert seen("RS") == {"RS100000001", MK_AEO}
    assert seen("MK") == {MK_AEO}  # recognition is not mutual until MK records it too
    recognise(app_engine, "RS", "EU", date(2026, 1, 1))
    assert seen("RS") == {"RS100000001", MK_AEO, "HU100000007"}
    with acting_for("RS"), app_engine.connect() as conn:
        register = aeo_register(connection_or_session=conn, party="RS")
        assert set(register.on(date(2026, 6, 1))) == {"RS100000001", MK_AEO, "HU100000007"}
    # Reading is all: RS cannot change or add MK's authorisations.
    with acting_for("RS"), app_engine.begin() as conn:
        changed = conn.execute(text("UPDATE aeo_authorisations SET kind = 'AEOC' "
                                    "WHERE party = 'MK'"))  # fmt: skip
        assert changed.rowcount == 0
    with pytest.raises(DBAPIError), acting_for("RS"), app_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO aeo_authorisations (party, trader, kind, valid_from, "
                "created_at) VALUES ('MK', 'MK1', 'AEOC', '2026-01-01', now())"
            )
        )
