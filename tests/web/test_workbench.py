"""The analyst workbench over HTTP: profiles, the editor's checks and backtest, the model monitor."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from riskhub.access.roles import Role
from riskhub.audit.models import AuditRecord
from riskhub.db.tenancy import acting_for
from riskhub.kpis import service as kpis
from riskhub.profiles.backtest import backtest
from riskhub.profiles.models import RiskProfile
from riskhub.selectivity import service as selectivity
from riskhub.targeting import registry
from riskhub.targeting.model import RiskModel, fit
from riskhub.web.workbench import STARTER
from tests.conftest import MakeUser
from tests.helpers import nested
from tests.selectivity.test_service import HEAVY, activate, load, with_item
from tests.targeting.test_features_and_bias import traffic
from tests.web.conftest import sign_in

# HEAVY with a mistake on its line 7: a mass is a number.
BROKEN = HEAVY.replace("net_mass: {gt: 500}", "net_mass: {gt: heavy}")
METRICS = {"auc": 0.78, "precision_at_1": 0.4, "precision_at_5": 0.3, "precision_at_10": 0.27,
           "recall_at_10": 0.44, "revenue_at_10": 0.53, "measured_from": "2026-08-12",
           "declarations": 697}  # fmt: skip


def _profiles(engine: Engine, party: str = "RS") -> int:
    with acting_for(party), Session(engine) as session:
        return int(session.scalar(select(func.count(RiskProfile.id))) or 0)


def _actions(engine: Engine, party: str) -> list[str]:
    with acting_for(party), Session(engine) as session:
        query = select(AuditRecord.action).where(AuditRecord.party == party)
        return [a for a in session.scalars(query) if a.startswith("web.")]


def test_officers_are_refused_and_the_rmwg_reads_without_editing(
    client: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    activate(engine, HEAVY.replace("action:", "distribution: {level: cefta, tlp: GREEN}\naction:"))
    sign_in(client, make_user("RS", Role.OFFICER, offices=["RS-PRE"]))
    for path in ("/profiles", "/profiles/new", "/profiles/RS-HEAVY", "/models", "/models/drift"):
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert "The officer role does not open this page." in refused.text
    assert client.post("/profiles/check", data={"document": HEAVY}).status_code == 403

    sign_in(client, make_user("MK", Role.RMWG))
    listed = client.get("/profiles")
    assert listed.status_code == 200 and 'id="profile-RS-RS-HEAVY"' in listed.text
    assert "/profiles/new" not in listed.text
    page = client.get("/profiles/RS-HEAVY?owner=RS")
    assert page.status_code == 200 and 'id="document-text"' in page.text
    assert "<textarea" not in page.text and "Activate" not in page.text
    assert client.get("/profiles/new").status_code == 403
    assert client.post("/profiles", data={"document": HEAVY}).status_code == 403
    sent = client.post("/profiles/RS-HEAVY/status", data={"status": "suspended"})
    assert sent.status_code == 403
    assert client.get("/models").status_code == 403
    assert _profiles(engine) == 1


def test_invalid_text_shows_the_located_problem_and_is_never_saved(
    client: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    sign_in(client, make_user("RS", Role.ANALYST))
    checked = client.post("/profiles/check", data={"document": BROKEN})
    assert checked.status_code == 422
    assert "<strong>line 7</strong>, column 22 (criteria.all[1].net_mass.gt)" in checked.text
    assert "net_mass: {gt: heavy}" in checked.text  # the line itself, beside the problem
    assert 'id="no-problems"' in client.post("/profiles/check", data={"document": HEAVY}).text

    for text, said in (
        (BROKEN, "<strong>line 7</strong>"),
        ("code: RS-X\ntitle: [", "not valid YAML/JSON"),
        ("", "a profile is a mapping of keys"),
        # Read well, but refused by the import's rule: a Party's profile judges its own.
        (HEAVY.replace("threat: mass", "threat: mass\nscope: {parties: [MK]}"),
         "scope.parties names MK"),
    ):  # fmt: skip
        saved = client.post("/profiles", data={"document": text})
        assert saved.status_code == 422, text
        assert said in saved.text and 'role="alert"' in saved.text
        assert "<textarea" in saved.text  # the analyst's text is kept to fix
    assert _profiles(engine) == 0
    assert _actions(engine, "RS") == ["web.login"]


def test_a_profile_is_saved_as_a_draft_activated_apart_and_edits_wait_as_drafts(
    client: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    sign_in(client, make_user("RS", Role.ANALYST, name="Ana"))
    editor = client.get("/profiles/new")
    assert editor.status_code == 200 and "RS-NEW-001" in editor.text
    starter = client.post("/profiles/check", data={"document": STARTER.format(party="RS")})
    assert 'id="no-problems"' in starter.text  # the starter reads as it stands

    saved = client.post("/profiles", data={"document": HEAVY})
    assert saved.status_code == 303
    assert saved.headers["location"] == "/profiles/RS-HEAVY?saved=created"
    page = client.get(saved.headers["location"]).text
    assert (
        "Saved as a new draft." in page and '<span class="badge" id="status">draft</span>' in page
    )
    assert (
        client.post("/profiles", data={"document": HEAVY})
        .headers["location"]
        .endswith("saved=unchanged")
    )

    activated = client.post("/profiles/RS-HEAVY/status", data={"status": "active"})
    assert activated.status_code == 303
    assert '<span class="badge" id="status">active</span>' in client.get("/profiles/RS-HEAVY").text
    assert client.post("/profiles/RS-HEAVY/status", data={"status": "gone"}).status_code == 422
    # An edit of an active profile goes back to draft until someone activates it again.
    edited = client.post("/profiles", data={"document": HEAVY.replace("40", "45"),
                                            "editing": "RS-HEAVY"})  # fmt: skip
    assert edited.headers["location"] == "/profiles/RS-HEAVY?saved=changed"
    page = client.get("/profiles/RS-HEAVY").text
    assert '<span class="badge" id="status">draft</span>' in page
    assert "back to draft until activated" in page and "-weight: 40" in page
    listed = client.get("/profiles").text
    row = listed.split('id="profile-RS-RS-HEAVY"')[1].split("</tr>")[0]
    assert "draft" in row and '<td class="num">3</td>' in row  # created, activated, edited
    assert _actions(engine, "RS") == ["web.login", "web.profiles.save", "web.profiles.save",
                                      "web.profiles.status", "web.profiles.save"]  # fmt: skip


def test_another_partys_profile_is_not_found_and_never_changed(
    client: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    activate(engine, HEAVY)  # RS's own: shared with nobody
    activate(engine, HEAVY.replace("RS-HEAVY", "RS-SHARED")
             .replace("action:", "distribution: {level: cefta, tlp: GREEN}\naction:"))  # fmt: skip
    sign_in(client, make_user("MK", Role.ANALYST))
    for path in ("/profiles/RS-HEAVY?owner=RS", "/profiles/RS-HEAVY", "/profiles/NOPE"):
        missing = client.get(path)
        assert missing.status_code == 404 and "that you may see" in missing.text, path
    listed = client.get("/profiles").text
    assert "RS-SHARED" in listed and "RS-HEAVY" not in listed
    shared = client.get("/profiles/RS-SHARED?owner=RS")
    assert shared.status_code == 200 and "<textarea" not in shared.text  # not MK's to edit
    for code in ("RS-HEAVY", "RS-SHARED"):
        refused = client.post(f"/profiles/{code}/status", data={"status": "suspended"})
        assert refused.status_code == 404 and "MK has no profile" in refused.text
    with acting_for("RS"), Session(engine) as session:
        assert set(session.scalars(select(RiskProfile.status))) == {"active"}
    assert client.get("/profiles/RS-HEAVY?owner=rs").status_code == 422


def test_the_backtest_fragment_gives_the_backtest_services_numbers(
    client: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    activate(engine, HEAVY.replace("RS-HEAVY", "RS-OTHER"))
    load(engine,
         with_item("B1", net_mass="900", gross_mass="950", known_outcome="under_declared_mass",
                   known_revenue_eur="120.5"),
         with_item("B2", net_mass="900", gross_mass="950"),
         {**with_item("B3", net_mass="700", gross_mass="750"), "lodged_at": "2026-06-09T08:00:00Z"},
         nested("B4"))  # fmt: skip
    selectivity.decide_pending(engine_=engine, party="RS")
    sign_in(client, make_user("RS", Role.ANALYST))
    form = {"document": HEAVY, "since": "2026-05-01", "until": "2026-06-30"}
    done = client.post("/profiles/backtest", data=form)
    assert done.status_code == 200, done.text
    expected = backtest(engine=engine, party="RS", text=HEAVY, since=datetime(2026, 5, 1),
                        until=datetime(2026, 7, 1))  # fmt: skip
    assert expected.hits == 3  # three heavy declarations: the numbers compared are not all 0
    shown = dict(re.findall(r'<dd id="bt-([a-z-]+)">([^<]*)</dd>', done.text))
    assert shown["declarations"] == f"{expected.declarations:,}"
    assert shown["hits"] == str(expected.hits)
    assert shown["inspected"] == str(expected.inspected)
    assert shown["found"] == str(expected.found)
    assert shown["revenue"] == f"{expected.revenue_eur:,.2f}"
    assert expected.hit_rate is not None
    assert shown["hit-rate"] == f"{expected.hit_rate * 100:.1f}%"
    assert f"{expected.hits / 61:.1f} hits a day over 61 days" in shown["workload"]
    # The weeks of the chart: 1 June (B1, B2) and 8 June (B3).
    assert 'id="backtest-chart"' in done.text and "data-spec=" in done.text
    weeks = re.findall(r"<tr><td>(2026-\d\d-\d\d)</td><td class=\"num\">(\d+)</td>", done.text)
    assert weeks == [("2026-06-01", "2"), ("2026-06-08", "1")]

    # Without dates: the 90 days up to the latest decided declaration.
    assert "2026-03-12 to 2026-06-09" in client.post("/profiles/backtest",
                                                    data={"document": HEAVY}).text  # fmt: skip
    broken = client.post("/profiles/backtest", data={**form, "document": BROKEN})
    assert broken.status_code == 422 and "<strong>line 7</strong>" in broken.text
    bad_day = client.post("/profiles/backtest", data={**form, "since": "01/05/2026"})
    assert bad_day.status_code == 422 and "YYYY-MM-DD" in bad_day.text
    backwards = client.post("/profiles/backtest", data={**form, "since": "2026-07-01"})
    assert backwards.status_code == 422 and "since is after until" in backwards.text
    assert _profiles(engine) == 1  # a backtest saves nothing


def test_the_effectiveness_review_is_the_apis_and_cross_party_readers_see_common_ones(
    client: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    activate(engine, HEAVY)
    load(engine, with_item("E1", net_mass="900", gross_mass="950"), nested("E2"))
    selectivity.decide_pending(engine_=engine, party="RS")
    sign_in(client, make_user("RS", Role.ANALYST))
    assert 'hx-get="/profiles/effectiveness"' in client.get("/profiles").text
    review = client.get("/profiles/effectiveness")  # the 90 days up to 1 June
    assert review.status_code == 200 and "2026-03-04 to 2026-06-01" in review.text
    (expected,) = kpis.profile_review(engine=engine, parties=["RS"],
                                      since=datetime(2026, 3, 4), until=datetime(2026, 6, 2))  # fmt: skip
    row = review.text.split('id="review-RS-RS-HEAVY"')[1].split("</tr>")[0]
    numbers = re.findall(r'<td class="num">([\d,]+)</td>', row)
    assert numbers[:4] == [str(expected[k]) for k in ("matches", "selected", "inspected", "hits")]
    assert expected["matches"] == 1 and expected["flags"] == ["too_few_inspections"]
    assert ">too few inspections</span>" in row
    bad = client.get("/profiles/effectiveness?since=2026-07-01&until=2026-06-01")
    assert bad.status_code == 422 and "since is after until" in bad.text

    sign_in(client, make_user("MK", Role.RMWG))
    across = client.get("/profiles/effectiveness")
    assert across.status_code == 200 and "common profiles only" in across.text
    assert "RS-HEAVY" not in across.text  # a Party's own profile is its business


@pytest.fixture(scope="module")
def model() -> RiskModel:
    return fit(traffic(800, 21), rounds=20)


def _register(engine: Engine, model: RiskModel, count: int, party: str = "RS") -> None:
    with acting_for(party), Session(engine) as session, session.begin():
        for _ in range(count):
            registry.register(session=session, party=party, model=model, trained_by="retrain",
                              metrics=METRICS)  # fmt: skip


def test_the_model_monitor_approves_a_challenger_once_and_refuses_the_rest(
    client: TestClient, make_user: MakeUser, engine: Engine, model: RiskModel
) -> None:
    sign_in(client, make_user("RS", Role.ANALYST, name="Head of risk"))
    empty = client.get("/models")
    assert empty.status_code == 200 and "RS has no risk model yet" in empty.text
    assert "no approved model serves" in client.get("/models/drift").text

    _register(engine, model, 2)
    with acting_for("RS"), Session(engine) as session, session.begin():
        registry.approve(session=session, party="RS", version=1, role="champion",
                         approved_by="head")  # fmt: skip
    page = client.get("/models").text
    assert 'id="metrics-chart"' in page and "0.780" in page
    assert "v1, approved by head" in page
    assert 'aria-label="Approve v2 as the challenger"' in page
    assert "Approve v1" not in page  # the champion has nothing to approve

    assert client.post("/models/2/approve", data={"role": "challenger"}).status_code == 303
    with acting_for("RS"), Session(engine) as session:
        rows = registry.versions(session=session, party="RS")
        assert {r.version: (r.status, r.approved_by) for r in rows} == {
            1: ("champion", "head"), 2: ("challenger", "Head of risk")}  # fmt: skip
    assert _actions(engine, "RS")[-1] == "web.models.approve"
    again = client.post("/models/2/approve", data={"role": "challenger"})
    assert again.status_code == 409 and "version 2 is already the challenger" in again.text
    demoted = client.post("/models/1/approve", data={"role": "challenger"})
    assert demoted.status_code == 409 and "serves as the champion" in demoted.text
    assert client.post("/models/9/approve", data={"role": "champion"}).status_code == 404
    assert client.post("/models/2/approve", data={"role": "boss"}).status_code == 422

    assert client.post("/models/2/approve", data={"role": "champion"}).status_code == 303
    retired = client.post("/models/1/approve", data={"role": "champion"})
    assert retired.status_code == 409 and "version 1 is retired" in retired.text
    assert _actions(engine, "RS").count("web.models.approve") == 2

    # Drift of the champion over the stored declarations (20 alike: far from training).
    load(engine, *(nested(f"D{i}") for i in range(20)))
    selectivity.decide_pending(engine_=engine, party="RS")
    drifted = client.get("/models/drift?days=30")
    assert drifted.status_code == 200 and "Champion v2" in drifted.text
    assert 'id="drift-status">retrain<' in drifted.text and "features shifted" in drifted.text

    sign_in(client, make_user("MK", Role.ANALYST))
    assert "MK has no risk model yet" in client.get("/models").text
    assert client.post("/models/2/approve", data={"role": "champion"}).status_code == 404
