"""The officers' work queue and the inspection form, over HTTP."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from riskhub.access.roles import Role
from riskhub.audit.models import AuditRecord
from riskhub.db.tenancy import acting_for
from riskhub.declarations import service as declarations
from riskhub.inspections.models import Inspection, InspectionFeedback
from riskhub.reference.parties import SECRETARIAT_PARTY
from riskhub.selectivity import service as selectivity
from riskhub.selectivity.pipeline import OfficeRates
from riskhub.synth import officers
from tests.conftest import MakeUser
from tests.helpers import nested
from tests.inspections.test_inspections_api import COMMON
from tests.registries.test_aeo_recognition import authorise
from tests.selectivity.test_service import HEAVY, activate, load, with_item
from tests.web.conftest import sign_in

AEO_IMPORTER = "RS100000077"
# High-value laptops get a documentary check that concerns market surveillance too.
VALUE = """\
code: RS-VALUE
title: High-value laptops
threat: undervaluation
criteria:
  all:
    - hs_code: {startswith: "8471"}
    - customs_value_eur: {gt: 9000}
action: {channel: yellow, agencies: [customs, market_surveillance]}
weight: 20
"""
# No random draw but for AEOs (always, so the AEO consignment is red every run), no top-up.
RATES = OfficeRates(random_rate=0.0, random_rate_aeo=1.0, target_red=0.0, target_yellow=0.0)


def rules(engine: Engine) -> None:
    """Serbia's two profiles and office rates, its AEO, and the demo's shared checklists."""
    activate(engine, HEAVY)
    activate(engine, VALUE)
    officers.save_demo_checklists(engine=engine, owner=SECRETARIAT_PARTY)
    authorise(engine, "RS", AEO_IMPORTER)
    with acting_for("RS"), Session(engine) as session, session.begin():
        for office in ("RS-PRE", "RS-BAT"):
            selectivity.set_office_rates(session=session, party="RS", office=office, rates=RATES)


def traffic(engine: Engine, day: date = date(2026, 6, 1)) -> dict[str, int]:
    """Serbian consignments decided at RS-PRE and RS-BAT, a Macedonian one; ids by name.

    At RS-PRE: an AEO's consignment (a random control, lodged first), two heavy
    ones (red), a high-value one (yellow) and a plain one (green); at RS-BAT a
    heavy one. Lodged from ``day`` on, decided under ``rules``.
    """
    at = [f"{day + timedelta(days=n)}T{h:02d}:00:00Z" for n, h in
          ((0, 6), (0, 8), (1, 8), (2, 8), (2, 9), (2, 10))]  # fmt: skip
    heavy = {"net_mass": "900", "gross_mass": "950"}
    bodies = {
        "aeo": {**nested("AEO-1", importer=AEO_IMPORTER), "lodged_at": at[0]},
        "h1": {**with_item("H-1", **heavy), "lodged_at": at[1]},
        "y1": {**with_item("Y-1", customs_value_eur="20000"), "lodged_at": at[2]},
        "h2": {**with_item("H-2", **heavy), "lodged_at": at[3]},
        "plain": {**nested("P-1"), "lodged_at": at[4]},
        "bat": {**with_item("B-1", **heavy), "office": "RS-BAT", "lodged_at": at[5]},
    }
    ids = dict(zip(bodies, load(engine, *bodies.values()), strict=True))
    selectivity.decide_pending(engine_=engine, party="RS")
    summary = declarations.ingest_records(
        engine=engine, submitted_by_party="MK", body_sha256="mk-queue",
        records=[nested("M-1", party="MK", office="MK-TAB", lodged_at=at[1],
                        dispatch_country="RS", exporter="RS100000002")],
    )  # fmt: skip
    selectivity.decide_pending(engine_=engine, party="MK")
    ids["mk"] = summary.declarations[0]["id"]
    return ids


@pytest.fixture
def consignments(engine: Engine) -> dict[str, int]:
    rules(engine)
    return traffic(engine)


def queue_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr class="\w+" id="consignment-(\d+)"', page)]


def row(page: str, declaration_id: int) -> str:
    found = re.search(rf'<tr class="(\w+)" id="consignment-{declaration_id}">(.*?)</tr>', page,
                      re.S)  # fmt: skip
    assert found, declaration_id
    return f"{found.group(1)} {found.group(2)}"


def result(**changes: Any) -> dict[str, Any]:
    """A physical control of a heavy consignment, answered along the red checklist."""
    sheet = "XS/PHYSICAL-BASIC"
    form = {
        "reference": "CR-2026-1", "kind": "physical", "inspector": "Officer Petrović",
        "started_at": "2026-06-02T10:00", "finished_at": "2026-06-02T11:30",
        f"answer:{sheet}:seal_intact": "yes", f"evidence:{sheet}:seal_intact": "photos 1-4",
        f"answer:{sheet}:count_packages": "yes", f"answer:{sheet}:weigh": "no",
        f"evidence:{sheet}:weigh": "ticket 5521",
        "outcome": "discrepancy", "finding_category_1": "quantity_mass", "finding_item_1": "1",
        "finding_detail_1": "1,400 kg on the weighbridge", "additional_revenue_eur": "812.50",
        "notes": "",
    }  # fmt: skip
    return {k: v for k, v in {**form, **changes}.items() if v is not None}


def inspections(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Inspection)).scalar_one())


def test_the_queue_holds_the_offices_selections_priority_passage_first(
    client: TestClient, make_user: MakeUser, consignments: dict[str, int]
) -> None:
    ids = consignments
    sign_in(client, make_user("RS", Role.OFFICER, name="Pre", offices=["RS-PRE"]))
    page = client.get("/queue").text
    # The AEO's consignment first though lodged first; then the latest lodged. Neither the
    # green one nor another office's is in the queue.
    assert queue_ids(page) == [ids["aeo"], ids["h2"], ids["y1"], ids["h1"]]
    assert "4 consignments waiting" in page
    first = row(page, ids["aeo"])
    assert first.startswith("red ") and "AEO priority" in first and "AEO-1" in first
    assert "Random control: the unbiased sample" in first
    assert "holds RS&#39;s authorisation" in first and "priority lane" in first
    heavy = row(page, ids["h1"])
    assert heavy.startswith("red ") and "Heavy laptops: hs code starts with 8471" in heavy
    assert "AEO priority" not in heavy and f'href="/queue/{ids["h1"]}"' in heavy
    assert row(page, ids["y1"]).startswith("yellow ") and "High-value laptops" in page
    sign_in(client, make_user("RS", Role.OFFICER, name="Bat", offices=["RS-BAT"]))
    assert queue_ids(client.get("/queue").text) == [ids["bat"]]
    # Market surveillance works the consignment that notifies it, by declaration number only.
    sign_in(client, make_user("RS", Role.AGENCY_OFFICER, agency="market_surveillance"))
    page = client.get("/queue").text
    assert queue_ids(page) == [ids["y1"]]
    assert f"declaration {ids['y1']}" in page and "Y-1" not in page
    sign_in(client, make_user("MK", Role.OFFICER, offices=["MK-TAB"]))
    assert not {ids[k] for k in ("aeo", "h1", "y1", "h2", "bat")} & set(
        queue_ids(client.get("/queue").text)
    )
    for role in (Role.ANALYST, Role.SECRETARIAT, Role.AUDITOR):
        sign_in(client, make_user("XS" if role is Role.SECRETARIAT else "RS", role))
        refused = client.get("/queue")
        assert refused.status_code == 403
        assert f"The {role.value} role does not open this page." in refused.text
        assert client.get(f"/queue/{ids['h1']}").status_code == 403


def test_the_form_follows_the_checklists_and_a_result_is_recorded_once(
    client: TestClient, make_user: MakeUser, consignments: dict[str, int], engine: Engine
) -> None:
    h1 = consignments["h1"]
    token = make_user("RS", Role.OFFICER, name="Pre", offices=["RS-PRE"])
    sign_in(client, token)
    form = client.get(f"/queue/{h1}").text
    # The red channel's checklist, an answer for each item, evidence where it asks for some.
    assert "Physical examination: the basic points (XS/PHYSICAL-BASIC, customs)" in form
    for key in ("seal_intact", "count_packages", "weigh", "sample"):
        assert form.count(f'name="answer:XS/PHYSICAL-BASIC:{key}"') == 3, key
    assert 'name="evidence:XS/PHYSICAL-BASIC:weigh"' in form
    assert "Evidence kept: weighbridge ticket" in form
    assert "Documentary check" not in form  # the yellow channel's checklist is not on it
    assert "weigh the truck" in form  # the profile's own point
    assert "Seal numbers match the documents and are intact (required)" in form
    assert "Goods sampled for classification if in doubt (required)" not in form

    done = client.post(f"/queue/{h1}", data=result())
    assert done.status_code == 303 and done.headers["location"] == "/queue?recorded=CR-2026-1"
    queue = client.get(done.headers["location"]).text
    assert "Control report CR-2026-1 recorded" in queue
    assert h1 not in queue_ids(queue) and len(queue_ids(queue)) == 3
    # The API reads back what the page recorded, answers and evidence included.
    api = client.get(f"/api/v1/declarations/{h1}/inspections",
                     headers={"Authorization": f"Bearer {token}"}).json()  # fmt: skip
    (recorded,) = api
    assert recorded["outcome"] == "discrepancy" and recorded["additional_revenue_eur"] == 812.5
    assert recorded["inspector"] == "Officer Petrović" and recorded["kind"] == "physical"
    assert recorded["findings"] == [{"category": "quantity_mass", "item_no": 1,
                                     "detail": "1,400 kg on the weighbridge"}]  # fmt: skip
    assert {(a["item"], a["answer"], a["evidence"]) for a in recorded["answers"]} == {
        ("seal_intact", "yes", "photos 1-4"), ("count_packages", "yes", ""),
        ("weigh", "no", "ticket 5521"),
    }  # fmt: skip
    assert recorded["started_at"].startswith("2026-06-02T10:00")
    with acting_for("RS"), Session(engine) as session:
        audited = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "web.inspections.record")
        ).all()
    assert [(a.object, a.outcome, a.source) for a in audited] == [
        (f"declaration_id={h1}", "recorded CR-2026-1", "web")
    ]
    # The page now shows what was recorded.
    assert re.search(r'<table id="recorded">.*CR-2026-1.*discrepancy', client.get(
        f"/queue/{h1}").text, re.S)  # fmt: skip

    # The same report again (a second click, or the back button): refused, said plainly.
    again = client.post(f"/queue/{h1}", data=result())
    assert again.status_code == 409
    assert "control report CR-2026-1 is already recorded: it is not recorded twice" in again.text
    other = client.post(f"/queue/{h1}", data=result(outcome="no_discrepancy",
                                                    finding_category_1="",
                                                    additional_revenue_eur=""))  # fmt: skip
    assert other.status_code == 409
    assert "control report CR-2026-1 is already recorded with other content" in other.text
    assert inspections(engine) == 1


def test_sending_a_recorded_report_again_with_feedback_shares_it_and_says_so(
    client: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    """A repeat is not recorded twice; the feedback it now asks for is shared, as over the API."""
    activate(engine, COMMON, party=SECRETARIAT_PARTY)
    officers.save_demo_checklists(engine=engine, owner=SECRETARIAT_PARTY)
    (heavy,) = load(engine, with_item("H-9", net_mass="900", gross_mass="950"))
    selectivity.decide_pending(engine_=engine, party="RS")
    sign_in(client, make_user("RS", Role.OFFICER, offices=["RS-PRE"]))
    assert 'name="share_feedback"' in client.get(f"/queue/{heavy}").text
    assert client.post(f"/queue/{heavy}", data=result()).status_code == 303

    again = client.post(f"/queue/{heavy}", data=result(share_feedback="on"))
    assert again.status_code == 409
    assert ("control report CR-2026-1 is already recorded: it is not recorded twice; its "
            "feedback is shared with the owners of XS/CEFTA-HEAVY") in again.text  # fmt: skip
    assert inspections(engine) == 1
    with acting_for("RS"), Session(engine) as session:
        shared = session.scalars(select(InspectionFeedback)).all()
        audited = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "web.inspections.share_feedback")
        ).all()
    assert [(f.profile_owner, f.profile_code) for f in shared] == [("XS", "CEFTA-HEAVY")]
    assert [(a.object, a.outcome) for a in audited] == [
        (f"declaration_id={heavy}", "feedback shared on XS/CEFTA-HEAVY")]  # fmt: skip


def test_a_bad_form_comes_back_with_the_reasons_in_place(
    client: TestClient, make_user: MakeUser, consignments: dict[str, int], engine: Engine
) -> None:
    h1 = consignments["h1"]
    sign_in(client, make_user("RS", Role.OFFICER, offices=["RS-PRE"]))
    cases = {
        # Checked by the API's schema.
        "needs at least one finding": result(finding_category_1=""),
        "finished_at is before started_at": result(finished_at="2026-06-02T09:00"),
        "letters, digits and / . _ - only": result(reference="CR 1!"),
        "no discrepancy, yet revenue or a seizure is recorded": result(
            outcome="no_discrepancy", finding_category_1=""
        ),
        "a seizure needs seized_quantity": result(outcome="seizure"),
        "Input should be a valid datetime": result(started_at="yesterday"),
        # Checked by the service against the declaration and its checklists.
        "the control starts before the declaration was lodged (2026-06-01 08:00 UTC)": result(
            started_at="2026-06-01T07:00"
        ),
        "checklist XS/PHYSICAL-BASIC: required item &#39;weigh&#39; unanswered": result(
            **{"answer:XS/PHYSICAL-BASIC:weigh": None}
        ),
        "the declaration has no item 7 (it has 2)": result(finding_item_1="7"),
        "the control finishes in the future": result(finished_at="2099-01-01T00:00"),
    }
    for message, form in cases.items():
        sent = client.post(f"/queue/{h1}", data=form)
        assert sent.status_code == 422, (message, sent.status_code)
        problems = re.search(r'<div class="error" role="alert" id="problems">(.*?)</div>',
                             sent.text, re.S)  # fmt: skip
        assert problems and message in problems.group(1), (message, sent.text[-3000:])
        # What the officer typed is kept.
        assert f'value="{form["reference"]}"' in sent.text.replace("&#39;", "'")
    sent = client.post(f"/queue/{h1}", data=result(started_at="2026-06-01T07:00"))
    assert 'id="error-started_at"' in sent.text and 'aria-invalid="true"' in sent.text
    assert inspections(engine) == 0
    assert h1 in queue_ids(client.get("/queue").text)


def test_another_office_agency_or_party_does_not_reach_the_consignment(
    client: TestClient, make_user: MakeUser, consignments: dict[str, int], engine: Engine
) -> None:
    ids = consignments
    elsewhere = {
        "RS-BAT officer": make_user("RS", Role.OFFICER, name="Bat", offices=["RS-BAT"]),
        "MK officer": make_user("MK", Role.OFFICER, offices=["MK-TAB"]),
        # The heavy consignment notifies customs only.
        "RS phytosanitary": make_user("RS", Role.AGENCY_OFFICER, agency="phytosanitary"),
    }
    for who, token in elsewhere.items():
        sign_in(client, token)
        seen = client.get(f"/queue/{ids['h1']}")
        assert seen.status_code == 404, who
        assert "There is no such consignment for you to control." in seen.text
        assert client.post(f"/queue/{ids['h1']}", data=result()).status_code == 404, who
    sign_in(client, make_user("RS", Role.OFFICER, offices=["RS-PRE"]))
    for missing in (ids["mk"], ids["bat"], 987654321):
        assert client.get(f"/queue/{missing}").status_code == 404, missing
        assert client.post(f"/queue/{missing}", data=result()).status_code == 404, missing
    assert client.get("/queue/0").status_code == 422
    # A form sent from another site is refused before anything is read.
    forged = client.post(f"/queue/{ids['h1']}", data=result(),
                         headers={"origin": "https://evil.example"})  # fmt: skip
    assert forged.status_code == 403
    sign_in(client, make_user("RS", Role.ANALYST))
    assert client.post(f"/queue/{ids['h1']}", data=result()).status_code == 403
    assert inspections(engine) == 0


def test_an_agency_officer_records_on_what_notifies_their_agency(
    client: TestClient, make_user: MakeUser, consignments: dict[str, int], engine: Engine
) -> None:
    y1 = consignments["y1"]
    sign_in(client, make_user("RS", Role.AGENCY_OFFICER, name="Inspector MS",
                              agency="market_surveillance"))  # fmt: skip
    form = client.get(f"/queue/{y1}").text
    assert "Documentary check: invoice, origin, licences (XS/DOCUMENTARY-BASIC" in form
    answered = {f"answer:XS/DOCUMENTARY-BASIC:{k}": "yes"
                for k in ("invoice_matches", "origin_proof", "licences")}  # fmt: skip
    body = {"reference": "MS-77", "kind": "documentary", "inspector": "Inspector MS",
            "started_at": "2026-06-02T12:00", "finished_at": "2026-06-02T12:30",
            "outcome": "no_discrepancy", **answered}  # fmt: skip
    done = client.post(f"/queue/{y1}", data=body)
    assert done.status_code == 303, done.text
    assert queue_ids(client.get("/queue").text) == []
    # Customs has not inspected it yet: it stays in the customs officers' queue.
    sign_in(client, make_user("RS", Role.OFFICER, offices=["RS-PRE"]))
    assert y1 in queue_ids(client.get("/queue").text)
    assert inspections(engine) == 1
