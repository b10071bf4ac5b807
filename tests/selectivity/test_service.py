"""Decisions stored once per declaration version; profiles through the API; backtests."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from riskhub.access.roles import Role
from riskhub.app import create_app
from riskhub.db.tenancy import acting_for
from riskhub.declarations import service as declarations
from riskhub.profiles import service as profiles
from riskhub.selectivity import service
from riskhub.selectivity.models import SelectivityDecision
from riskhub.selectivity.pipeline import OfficeRates
from tests.conftest import MakeUser
from tests.helpers import nested

HEAVY = """\
code: RS-HEAVY
title: Heavy laptops
threat: mass
criteria:
  all:
    - hs_code: {startswith: "8471"}
    - net_mass: {gt: 500}
action: {channel: red, checklist: [weigh the truck]}
weight: 40
"""


def with_item(reference: str, **item: object) -> dict[str, object]:
    """A declaration whose first item carries ``item``'s values."""
    body = nested(reference)
    body["items"][0].update(item)
    return body


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


def load(engine: Engine, *bodies: dict[str, object]) -> list[int]:
    summary = declarations.ingest_records(
        engine=engine,
        records=list(bodies),
        submitted_by_party="RS",
        body_sha256=hashlib.sha256(repr(bodies).encode()).hexdigest(),
    )
    return [d["id"] for d in summary.declarations]


def activate(engine: Engine, text: str, party: str = "RS") -> None:
    with acting_for(party), Session(engine) as session, session.begin():
        (outcome,) = profiles.import_profiles(
            session=session, party=party, text=text, activate=True
        )
        assert outcome.outcome in ("created", "changed"), outcome.problems


def decisions(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count(SelectivityDecision.id))).scalar_one())


def test_batch_decisions_are_stored_once_and_amendments_get_a_new_one(engine: Engine) -> None:
    activate(engine, HEAVY)
    heavy = with_item("H1", net_mass="900", gross_mass="950")
    light = nested("L1")
    load(engine, heavy, light)
    first = service.decide_pending(engine_=engine, party="RS")
    assert first.decided == 2
    assert service.decide_pending(engine_=engine, party="RS").decided == 0
    assert decisions(engine) == 2
    # An amendment is a new version: decided anew, the old decision kept.
    load(engine, {**light, "office": "RS-HOR"})
    assert service.decide_pending(engine_=engine, party="RS").decided == 1
    assert decisions(engine) == 3


def test_profile_hit_gives_red_with_reason_and_checklist(
    engine: Engine, client: TestClient, make_user: MakeUser
) -> None:
    activate(engine, HEAVY)
    (heavy_id,) = load(engine, with_item("H1", net_mass="900", gross_mass="950"))
    service.decide_pending(engine_=engine, party="RS")
    rs = {"Authorization": f"Bearer {make_user('RS', Role.OFFICER, offices=['RS-PRE'])}"}
    got = client.get(f"/api/v1/declarations/{heavy_id}/decision", headers=rs)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["channel"] == "red" and body["score"] == 40
    assert body["checklist"] == ["weigh the truck"]
    (reason,) = [r for r in body["reasons"] if r.get("profile")]
    assert reason["sentence"].startswith("Heavy laptops: hs code starts with 8471")
    mk = {"Authorization": f"Bearer {make_user('MK', Role.OFFICER, offices=['MK-TAB'])}"}
    assert client.get(f"/api/v1/declarations/{heavy_id}/decision", headers=mk).status_code == 404


def test_api_submission_returns_its_decision_and_keeps_it(
    engine: Engine, client: TestClient, make_user: MakeUser
) -> None:
    activate(engine, HEAVY)
    rs = {"Authorization": f"Bearer {make_user('RS', Role.ANALYST)}"}
    body = with_item("API1", net_mass="900", gross_mass="950")
    del body["party"]
    first = client.post("/api/v1/declarations", json=body, headers=rs).json()
    decision = first["declarations"][0]["decision"]
    assert decision["channel"] == "red"
    again = client.post("/api/v1/declarations", json=body, headers=rs).json()
    assert again["declarations"][0]["decision"] == decision
    assert decisions(engine) == 1


def test_profiles_api_import_errors_versions_and_status(
    engine: Engine, client: TestClient, make_user: MakeUser
) -> None:
    rs = {"Authorization": f"Bearer {make_user('RS', Role.ANALYST)}"}
    bad = HEAVY.replace("net_mass: {gt: 500}", "net_mass: {gt: CN}")
    refused = client.post("/api/v1/profiles", json={"document": bad}, headers=rs)
    assert refused.status_code == 422
    (problem,) = refused.json()[0]["problems"]
    assert problem.startswith("line 7, column ") and "cannot be compared to 'CN'" in problem
    made = client.post("/api/v1/profiles", json={"document": HEAVY}, headers=rs)
    assert made.status_code == 201
    profile_id = made.json()[0]["id"]
    changed = HEAVY.replace("gt: 500", "gt: 700")
    assert (
        client.post("/api/v1/profiles", json={"document": changed}, headers=rs).status_code == 201
    )
    unchanged = client.post("/api/v1/profiles", json={"document": changed}, headers=rs)
    assert unchanged.status_code == 200 and unchanged.json()[0]["outcome"] == "unchanged"
    status = client.put(
        f"/api/v1/profiles/{profile_id}/status", json={"status": "active"}, headers=rs
    )
    assert status.json()["status"] == "active" and status.json()["version"] == 3
    versions = client.get(f"/api/v1/profiles/{profile_id}/versions", headers=rs).json()
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert "-    - net_mass: {gt: 500}" in versions[1]["diff"]
    assert "+    - net_mass: {gt: 700}" in versions[1]["diff"]
    mk = {"Authorization": f"Bearer {make_user('MK', Role.ANALYST)}"}
    assert client.get(f"/api/v1/profiles/{profile_id}", headers=mk).status_code == 404
    assert client.get("/api/v1/profiles", headers=mk).json() == []
    put = client.put(
        f"/api/v1/profiles/{profile_id}/status", json={"status": "suspended"}, headers=mk
    )
    assert put.status_code == 404


def test_common_profiles_apply_where_shared_only(engine: Engine) -> None:
    common = HEAVY.replace("RS-HEAVY", "CEFTA-HEAVY") + "distribution: {level: cefta}\n"
    activate(engine, common, party="XS")
    with acting_for("RS"), Session(engine) as session:
        assert [p.code for p in profiles.active_profiles(session=session, party="RS")] == [
            "CEFTA-HEAVY"
        ]
    with acting_for("HU"), Session(engine) as session:
        assert profiles.active_profiles(session=session, party="HU") == []


def test_backtest_counts_hits_controls_and_findings(engine: Engine) -> None:
    activate(engine, HEAVY.replace("RS-HEAVY", "RS-OTHER"))
    bodies = [
        with_item(
            "B1",
            net_mass="900",
            gross_mass="950",
            known_outcome="under_declared_mass",
            known_revenue_eur="120.5",
        ),
        with_item("B2", net_mass="900", gross_mass="950"),
        nested("B3"),
    ]
    load(engine, *bodies)
    service.decide_pending(engine_=engine, party="RS")
    from datetime import datetime

    from riskhub.profiles.backtest import backtest

    report = backtest(engine=engine, party="RS", text=HEAVY, since=datetime(2026, 1, 1))
    assert (report.declarations, report.hits) == (3, 2)
    # Both heavy ones were sent red by the active copy; one was found non-compliant.
    assert (report.inspected, report.found, report.revenue_eur) == (2, 1, 120.5)
    assert report.overlap_any_active == 2
    assert report.overlap_by_profile == [{"profile": "RS-OTHER", "owner": "RS", "declarations": 2}]
    with pytest.raises(profiles.ProfileError, match="line 7"):
        backtest(
            engine=engine, party="RS", text=HEAVY.replace("500", "CN"), since=datetime(2026, 1, 1)
        )


def test_named_lists_judge_declarations_and_keep_traders_private(
    engine: Engine, client: TestClient, make_user: MakeUser
) -> None:
    rs = {"Authorization": f"Bearer {make_user('RS', Role.ANALYST)}"}
    mk = {"Authorization": f"Bearer {make_user('MK', Role.ANALYST)}"}
    watched = {"kind": "trader", "entries": ["RS100000001"], "distribution": "cefta"}
    saved = client.put("/api/v1/lists/watch", json=watched, headers=rs)
    assert saved.status_code == 200 and saved.json()["entries"] == ["RS100000001"]
    wrong_kind = client.put("/api/v1/lists/bad", json={**watched, "kind": "people"}, headers=rs)
    assert wrong_kind.status_code == 422 and "unknown list kind" in wrong_kind.json()["detail"]
    # Shared with MK by name and size, never by the traders it names.
    (seen,) = client.get("/api/v1/lists", headers=mk).json()
    assert (seen["name"], seen["size"], seen["entries"]) == ("RS/watch", 1, None)
    watch_profile = HEAVY.replace("RS-HEAVY", "RS-WATCH").replace(
        "    - net_mass: {gt: 500}", "    - importer: {in_list: watch}"
    )
    made = client.post(
        "/api/v1/profiles", json={"document": watch_profile, "activate": True}, headers=rs
    )
    assert made.status_code == 201, made.text
    (listed_id, other_id) = load(engine, nested("W1"), nested("W2", importer="RS999999999"))
    service.decide_pending(engine_=engine, party="RS")
    with acting_for("RS"), Session(engine) as session:
        listed = service.get_decision(session=session, party="RS", declaration_id=listed_id)
        other = service.get_decision(session=session, party="RS", declaration_id=other_id)
    assert listed is not None and other is not None
    assert "RS-WATCH" in listed.reasons and "RS-WATCH" not in other.reasons


def test_office_settings_are_per_office_and_per_party(
    engine: Engine, client: TestClient, make_user: MakeUser
) -> None:
    rs = {"Authorization": f"Bearer {make_user('RS', Role.ANALYST)}"}
    rates = {
        "random_rate": 1.0,
        "random_rate_aeo": 1.0,
        "target_red": 0.0,
        "target_yellow": 0.0,
        "red_capacity_per_day": None,
    }
    assert (
        client.put("/api/v1/offices/RS-PRE/selectivity", json=rates, headers=rs).status_code == 200
    )
    assert (
        client.put("/api/v1/offices/MK-TAB/selectivity", json=rates, headers=rs).status_code == 404
    )
    bad = client.put(
        "/api/v1/offices/RS-PRE/selectivity", json={**rates, "random_rate": 2}, headers=rs
    )
    assert bad.status_code == 422
    listed = {r["office"]: r for r in client.get("/api/v1/offices/selectivity", headers=rs).json()}
    assert listed["RS-PRE"]["random_rate"] == 1.0 and listed["RS-HOR"]["random_rate"] == 0.02
    load(engine, nested("P1"), nested("H1", office="RS-HOR"))
    service.decide_pending(engine_=engine, party="RS")
    with engine.connect() as conn:
        rows = dict(
            conn.execute(
                select(SelectivityDecision.office, SelectivityDecision.random_control)
            ).all()
        )
    # Every declaration at RS-PRE is in the random sample now; RS-HOR kept its 2%.
    assert rows["RS-PRE"] is True


def test_a_party_cannot_scope_its_profile_onto_another_partys_declarations(
    engine: Engine, client: TestClient, make_user: MakeUser
) -> None:
    al = {"Authorization": f"Bearer {make_user('AL', Role.ANALYST)}"}
    hostile = (
        HEAVY.replace("RS-HEAVY", "AL-ALL-RED").replace("net_mass: {gt: 500}", "net_mass: {gte: 0}")
        + "scope: {parties: [RS]}\ndistribution: {level: cefta}\n"
    )
    refused = client.post(
        "/api/v1/profiles", json={"document": hostile, "activate": True}, headers=al
    )
    assert refused.status_code == 422
    assert "judges its own declarations only" in refused.json()[0]["problems"][0]
    # Even one stored before this rule (written directly) never judges RS.
    with acting_for("AL"), Session(engine) as session, session.begin():
        profiles.import_profiles(
            session=session,
            party="AL",
            activate=True,
            text=hostile.replace("scope: {parties: [RS]}\n", ""),
        )
    with acting_for("RS"), Session(engine) as session:
        assert profiles.active_profiles(session=session, party="RS") == []


def test_one_profile_in_a_list_file_and_a_broken_profile_do_not_stop_decisions(
    engine: Engine, client: TestClient, make_user: MakeUser
) -> None:
    rs = {"Authorization": f"Bearer {make_user('RS', Role.ANALYST)}"}
    one_item = "- " + HEAVY.replace("\n", "\n  ").rstrip() + "\n"
    made = client.post(
        "/api/v1/profiles", json={"document": one_item, "activate": True}, headers=rs
    )
    assert made.status_code == 201, made.text
    # A stored profile that no longer reads (e.g. edited in the database) is skipped.
    from riskhub.profiles.models import RiskProfile

    broken = HEAVY.replace("RS-HEAVY", "RS-BROKEN").replace("gt: 500", "gt: CN")
    with Session(engine) as session, session.begin():
        (row,) = session.scalars(select(RiskProfile)).all()
        session.add(
            RiskProfile(
                **{
                    c: getattr(row, c)
                    for c in (
                        "party",
                        "version",
                        "status",
                        "title",
                        "threat",
                        "direction",
                        "channel",
                        "weight",
                        "select_share",
                        "distribution",
                        "tlp",
                        "created_at",
                        "updated_at",
                    )
                },
                code="RS-BROKEN",
                document=broken,
            )
        )
    body = with_item("ONE1", net_mass="900", gross_mass="950")
    del body["party"]
    answer = client.post("/api/v1/declarations", json=body, headers=rs)
    assert answer.status_code == 201, answer.text
    assert answer.json()["declarations"][0]["decision"]["channel"] == "red"


def test_edits_wait_as_drafts_and_others_see_only_the_current_version(
    engine: Engine, client: TestClient, make_user: MakeUser
) -> None:
    rs = {"Authorization": f"Bearer {make_user('RS', Role.ANALYST)}"}
    mk = {"Authorization": f"Bearer {make_user('MK', Role.ANALYST)}"}
    private = HEAVY + "description: watch RS100000777\n"
    made = client.post(
        "/api/v1/profiles", json={"document": private, "activate": True}, headers=rs
    ).json()[0]
    shared = HEAVY.replace("gt: 500", "gt: 600") + "distribution: {level: cefta}\n"
    edited = client.post("/api/v1/profiles", json={"document": shared}, headers=rs).json()[0]
    assert edited["outcome"] == "changed"
    mine = client.get(f"/api/v1/profiles/{made['id']}", headers=rs).json()
    assert mine["status"] == "draft"
    theirs = client.get(f"/api/v1/profiles/{made['id']}/versions", headers=mk)
    assert theirs.status_code == 200
    assert "RS100000777" not in theirs.text and len(theirs.json()) == 1
    assert len(client.get(f"/api/v1/profiles/{made['id']}/versions", headers=rs).json()) == 2


def test_capacity_holds_per_day_across_batch_chunks(engine: Engine) -> None:
    everything_red = HEAVY.replace("net_mass: {gt: 500}", "net_mass: {gt: 0}")
    activate(engine, everything_red)
    with acting_for("RS"), Session(engine) as session, session.begin():
        service.set_office_rates(
            session=session, party="RS", office="RS-PRE", rates=OfficeRates(0.0, 0.0, 0.0, 0.0, 1)
        )
    # The first pending declaration is at noon: a month of batch later falls mid-day.
    times = ["2026-05-01T12:00:00Z", "2026-06-01T08:00:00Z", "2026-06-01T14:00:00Z"]
    load(engine, *[nested(f"C{i}", lodged_at=at) for i, at in enumerate(times)])
    service.decide_pending(engine_=engine, party="RS")
    with engine.connect() as conn:
        reds = conn.execute(
            select(func.date(SelectivityDecision.lodged_at), func.count())
            .where(SelectivityDecision.channel == "red")
            .group_by(func.date(SelectivityDecision.lodged_at))
        ).all()
    assert [n for _, n in reds] == [1, 1]


def test_aeo_status_is_taken_on_the_day_of_each_declaration(engine: Engine) -> None:
    from riskhub.registries.models import AeoAuthorisation

    with Session(engine) as session, session.begin():
        session.add(
            AeoAuthorisation(
                party="RS",
                trader="RS100000001",
                kind="AEOC",
                valid_from=date(2026, 1, 1),
                valid_to=date(2026, 5, 15),
                created_at=datetime(2026, 1, 1),
            )
        )
    load(
        engine,
        nested("A1", lodged_at="2026-05-10T09:00:00Z"),
        nested("A2", lodged_at="2026-05-20T09:00:00Z"),
    )
    service.decide_pending(engine_=engine, party="RS")
    with engine.connect() as conn:
        flags = (
            conn.execute(select(SelectivityDecision.aeo).order_by(SelectivityDecision.lodged_at))
            .scalars()
            .all()
        )
    assert flags == [True, False]


def test_queue_and_other_agencies_see_only_what_concerns_them(
    engine: Engine, client: TestClient, make_user: MakeUser
) -> None:
    plant_check = HEAVY.replace("RS-HEAVY", "RS-PLANTS").replace(
        "action: {channel: red, checklist: [weigh the truck]}",
        "action: {channel: yellow, agencies: [phytosanitary], checklist: [see the certificate]}",
    )
    activate(engine, plant_check)
    plants, other, elsewhere = load(
        engine,
        with_item("Q1", net_mass="900", gross_mass="950"),
        nested("Q2"),
        {**with_item("Q3", net_mass="900", gross_mass="950"), "office": "RS-HOR"},
    )
    with acting_for("RS"), Session(engine) as session, session.begin():
        service.set_office_rates(
            session=session,
            party="RS",
            office="RS-PRE",
            rates=OfficeRates(0.0, 0.0, 0.0, 0.0, None),
        )
    service.decide_pending(engine_=engine, party="RS")

    def token(role: Role, **kw: object) -> dict[str, str]:
        return {"Authorization": f"Bearer {make_user('RS', role, **kw)}"}

    phyto = token(Role.AGENCY_OFFICER, name="phyto", agency="phytosanitary")
    vet = token(Role.AGENCY_OFFICER, name="vet", agency="veterinary")
    officer = token(Role.OFFICER, name="pre", offices=["RS-PRE"])
    assert client.get(f"/api/v1/declarations/{plants}/decision", headers=phyto).status_code == 200
    assert client.get(f"/api/v1/declarations/{other}/decision", headers=phyto).status_code == 404
    assert client.get(f"/api/v1/declarations/{plants}/decision", headers=vet).status_code == 404
    assert client.get(f"/api/v1/declarations/{plants}", headers=phyto).status_code == 403
    seen = {d["declaration_id"] for d in client.get("/api/v1/decisions", headers=phyto).json()}
    assert plants in seen and other not in seen
    assert client.get("/api/v1/decisions", headers=vet).json() == []
    queue = client.get("/api/v1/decisions?channel=yellow", headers=officer).json()
    assert [d["declaration_id"] for d in queue] == [plants]  # RS-HOR is not this officer's
    assert elsewhere not in {
        d["declaration_id"] for d in client.get("/api/v1/decisions", headers=officer).json()
    }
    assert client.get("/api/v1/decisions?channel=purple", headers=officer).status_code == 422


def test_one_api_batch_counts_its_own_reds_against_capacity(
    engine: Engine, client: TestClient, make_user: MakeUser
) -> None:
    activate(engine, HEAVY.replace("net_mass: {gt: 500}", "net_mass: {gt: 0}"))
    with acting_for("RS"), Session(engine) as session, session.begin():
        service.set_office_rates(
            session=session, party="RS", office="RS-PRE", rates=OfficeRates(0.0, 0.0, 0.0, 0.0, 1)
        )
    rs = {"Authorization": f"Bearer {make_user('RS', Role.ANALYST)}"}
    bodies = [nested(f"B{i}") for i in range(3)]
    for body in bodies:
        del body["party"]
    answer = client.post("/api/v1/declarations", json={"declarations": bodies}, headers=rs)
    channels = sorted(d["decision"]["channel"] for d in answer.json()["declarations"])
    assert channels == ["red", "yellow", "yellow"]


def test_a_large_api_submission_is_decided_whole(
    engine: Engine, client: TestClient, make_user: MakeUser
) -> None:
    activate(engine, HEAVY)
    with acting_for("RS"), Session(engine) as session, session.begin():
        service.set_office_rates(
            session=session,
            party="RS",
            office="RS-PRE",
            rates=OfficeRates(0.0, 0.0, 0.0, 0.0, None),
        )
    rs = {"Authorization": f"Bearer {make_user('RS', Role.ANALYST)}"}
    bodies = [
        with_item(f"L{i}", net_mass="900", gross_mass="950") if i % 2 else nested(f"L{i}")
        for i in range(40)
    ]  # 80 item rows: more than a single declaration's fast path
    for body in bodies:
        del body["party"]
    answer = client.post("/api/v1/declarations", json={"declarations": bodies}, headers=rs)
    channels = {d["reference"]: d["decision"]["channel"] for d in answer.json()["declarations"]}
    assert channels == {f"L{i}": "red" if i % 2 else "green" for i in range(40)}
