"""The registries pages: a Party's AEOs, recognitions and LPCOs; the LPCO page and its suspension."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.access.roles import Role
from riskhub.audit.models import AuditRecord
from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for
from riskhub.inspections.models import ReleaseTime
from riskhub.registries import recognition
from riskhub.registries.service import import_aeo
from tests.conftest import MakeUser
from tests.helpers import nested
from tests.registries.support import citing, decide, issue, lpco, submit
from tests.web.conftest import sign_in

AEO_CSV = (
    "party,trader,kind,valid_from,valid_to\n"
    "RS,RS100000001,AEOF,2024-01-15,\n"
    "RS,RS100000002,AEOC,2024-03-01,2025-06-30\n"
    "MK,MK100000003,AEOS,2023-07-01,\n"
)


@pytest.fixture
def registries(engine: Engine, tmp_path: Path) -> dict[str, int]:
    """RS: two authorisations, MK's AEOs recognised, a licence and a certificate; MK: a licence."""
    (tmp_path / "aeo.csv").write_text(AEO_CSV, encoding="utf-8")
    assert import_aeo(engine=engine, path=tmp_path / "aeo.csv").inserted == 3
    with acting_for("RS"), Session(engine) as session, session.begin():
        recognition.add_recognition(session=session, party="RS", partner="MK",
                                    reference="MRA-RS-MK-2024", valid_from=date(2024, 1, 1),
                                    valid_to=None, actor="test", now=utcnow())  # fmt: skip
    return {
        "RS-LIC-1": issue(engine, "RS-LIC-1"),
        "RS-PHY-1": issue(engine, "RS-PHY-1", kind="certificate", agency="phytosanitary",
                          hs_scope=["0808"], allowance=None, unit=None),
        "MK-LIC-9": issue(engine, "MK-LIC-9", party="MK", holder="MK100000003"),
    }  # fmt: skip


def _rows(page: str, table: str) -> str:
    found = re.search(rf'<table id="{table}">.*?</table>', page, re.S)
    assert found, f"no table {table}"
    return found.group(0)


def test_a_party_reads_its_own_aeos_recognitions_and_lpcos(
    client: TestClient, make_user: MakeUser, registries: dict[str, int]
) -> None:
    sign_in(client, make_user("RS", Role.ANALYST))
    page = client.get("/registries").text
    aeos = _rows(page, "aeo-authorisations")
    assert "RS100000001" in aeos and "RS100000002" in aeos and "MK100000003" not in aeos
    assert aeos.count(">valid<") == 1 and aeos.count(">not valid<") == 1  # one ended in 2025
    assert "North Macedonia (MK)" in _rows(page, "recognitions")
    assert "MRA-RS-MK-2024" in page
    lpcos = _rows(page, "lpcos")
    assert "RS-LIC-1" in lpcos and "RS-PHY-1" in lpcos and "MK-LIC-9" not in lpcos
    assert "0 of 1,000 kg used, 1,000 left" in lpcos and "no limit" in lpcos
    # The AEO KPIs, as GET /api/v1/aeo/kpis gives them: one own AEO and MK's recognised one.
    assert re.search(r'id="aeo-priority"><span class="not-met">2 of 300</span>: 1 own, 1 recognised',
                     page)  # fmt: skip
    assert 'hx-get="/registries/aeo-release-times" hx-trigger="load"' in page

    certificates = client.get("/registries", params={"kind": "certificate"}).text
    assert "RS-PHY-1" in _rows(certificates, "lpcos") and "RS-LIC-1" not in certificates
    suspended = client.get("/registries", params={"status": "suspended"}).text
    assert "No LPCO matches this filter." in suspended
    bad = client.get("/registries", params={"kind": "passport"})
    assert bad.status_code == 422 and "not one of licence, permit, certificate, other" in bad.text


def test_release_times_of_aeos_and_others_follow_as_a_fragment(
    client: TestClient, make_user: MakeUser, registries: dict[str, int], app_engine: Engine
) -> None:
    lodged = datetime.combine(date.today() - timedelta(days=5), time(8))
    aeo = nested("R1", n_items=1, lodged_at=lodged.isoformat() + "Z")  # RS100000001 imports
    other = nested("R2", n_items=1, lodged_at=lodged.isoformat() + "Z", importer="RS100000009",
                   exporter="AL100000001")  # fmt: skip
    ids = submit(app_engine, aeo, other)
    decide(app_engine, ids)
    arrival = lodged - timedelta(hours=1)
    with acting_for("RS"), Session(app_engine) as session, session.begin():
        for declaration_id, hours in zip(ids, (1.5, 6.0), strict=True):
            session.add(ReleaseTime(declaration_id=declaration_id, party="RS", arrival_at=arrival,
                                    released_at=arrival + timedelta(hours=hours),
                                    updated_at=utcnow()))  # fmt: skip
    analyst = make_user("RS", Role.ANALYST)
    sign_in(client, analyst)
    fragment = client.get("/registries/aeo-release-times", headers={"HX-Request": "true"}).text
    assert "<html" not in fragment
    api = client.get("/api/v1/aeo/kpis", headers={"Authorization": f"Bearer {analyst}"}).json()
    rs = next(r for r in api["release_hours"] if r["party"] == "RS")
    assert (rs["aeo"]["median"], rs["non_aeo"]["median"]) == (1.5, 6.0)
    assert re.search(r'<th scope="row">RS</th><td>AEOs</td><td class="num">1</td>'
                     r'<td class="num">1.5</td>', fragment)  # fmt: skip
    assert re.search(r'<th scope="row">RS</th><td>others</td><td class="num">1</td>'
                     r'<td class="num">6.0</td>', fragment)  # fmt: skip
    assert "all Parties" not in fragment  # one Party: its own rows say it all
    assert "<html" in client.get("/registries/aeo-release-times").text  # without htmx: a page
    sign_in(client, make_user("RS", Role.OFFICER, offices=["RS-PRE"]))
    refused = client.get("/registries/aeo-release-times")
    assert refused.status_code == 403 and "does not read aggregates" in refused.text


def test_who_opens_the_registries_and_what_an_agency_sees(
    client: TestClient, make_user: MakeUser, registries: dict[str, int]
) -> None:
    sign_in(client, make_user("RS", Role.OFFICER, offices=["RS-PRE"]))
    page = client.get("/registries").text
    assert "RS-LIC-1" in page and "RS-PHY-1" in page
    assert "AEO KPIs" not in page  # aggregates are for the roles that read them
    sign_in(client, make_user("RS", Role.AGENCY_OFFICER, name="phyto", agency="phytosanitary"))
    page = client.get("/registries").text
    assert "RS-PHY-1" in _rows(page, "lpcos") and "RS-LIC-1" not in page
    assert "You see the LPCOs of your agency (phytosanitary) only." in page
    for party, role in (("RS", Role.PARTY_ADMIN), ("RS", Role.AUDITOR), ("XS", Role.SECRETARIAT),
                        ("HU", Role.EU_PARTNER)):  # fmt: skip
        sign_in(client, make_user(party, role))
        refused = client.get("/registries")
        assert refused.status_code == 403, role
        assert f"The {role.value} role does not open this page." in refused.text
        assert client.get("/registries/lpco/RS-LIC-1").status_code == 403


def test_the_lpco_page_shows_terms_history_and_drawdowns_of_the_partys_own_only(
    client: TestClient, make_user: MakeUser, registries: dict[str, int], app_engine: Engine
) -> None:
    (declaration,) = submit(app_engine, citing("D1", "RS-LIC-1"))  # 100 kg net
    decide(app_engine, [declaration])
    sign_in(client, make_user("RS", Role.OFFICER, offices=["RS-PRE"]))
    page = client.get("/registries/lpco/RS-LIC-1")
    assert page.status_code == 200
    assert "100 of 1,000 kg used, 900 left" in page.text
    assert '<td>D1</td><td class="num">1</td>' in _rows(page.text, "lpco-drawdowns")
    assert "issued" in _rows(page.text, "lpco-history")
    assert "Suspend the LPCO" not in page.text  # an officer reads; the agency changes

    unknown = client.get("/registries/lpco/RS-LIC-404")
    assert unknown.status_code == 404 and "no LPCO with this number" in unknown.text
    assert client.get("/registries/lpco/MK-LIC-9").status_code == 404  # MK's, not RS's
    sign_in(client, make_user("MK", Role.OFFICER, offices=["MK-TAB"]))
    assert client.get("/registries/lpco/RS-LIC-1").status_code == 404
    assert "MK100000003" in client.get("/registries/lpco/MK-LIC-9").text
    # An agency officer reads its own agency's LPCOs only, as through the API.
    sign_in(client, make_user("RS", Role.AGENCY_OFFICER, name="vet", agency="veterinary"))
    assert client.get("/registries/lpco/RS-PHY-1").status_code == 404


def test_the_issuing_agency_suspends_and_reinstates_with_a_reason(
    client: TestClient, make_user: MakeUser, registries: dict[str, int], engine: Engine
) -> None:
    phyto = make_user("RS", Role.AGENCY_OFFICER, name="phyto", agency="phytosanitary")
    path = "/registries/lpco/RS-PHY-1"
    for role, expected in ((Role.OFFICER, 403), (Role.ANALYST, 403)):
        sign_in(client, make_user("RS", role, offices=["RS-PRE"] if role is Role.OFFICER else None))
        refused = client.post(path, data={"action": "suspend", "reason": "not mine to do"})
        assert refused.status_code == expected, role
    sign_in(client, make_user("RS", Role.AGENCY_OFFICER, name="vet", agency="veterinary"))
    assert (
        client.post(path, data={"action": "suspend", "reason": "other agency"}).status_code == 404
    )
    sign_in(client, make_user("MK", Role.AGENCY_OFFICER, name="mk", agency="phytosanitary"))
    assert client.post(path, data={"action": "suspend", "reason": "other Party"}).status_code == 404

    sign_in(client, phyto)
    form = client.get(path).text
    assert 'name="action" value="suspend"' in form and "Suspend the LPCO" in form
    for reason in ("", "  ", "ab"):
        blank = client.post(path, data={"action": "suspend", "reason": reason})
        assert blank.status_code == 422, reason
        assert '<p class="error" role="alert">Give a reason of 3 to 500 characters' in blank.text
        assert 'id="lpco-status">active<' in blank.text  # nothing changed
    assert client.post(path, data={"action": "revoke", "reason": "for good"}).status_code == 422
    crossed = client.post(path, data={"action": "suspend", "reason": "forged"},
                          headers={"origin": "https://elsewhere.example"})  # fmt: skip
    assert crossed.status_code == 403

    done = client.post(path, data={"action": "suspend", "reason": "holder under investigation"})
    assert done.status_code == 303 and done.headers["location"] == path
    page = client.get(path).text
    assert 'id="lpco-status">suspended<' in page and "holder under investigation" in page
    assert "Reinstate the LPCO" in page
    assert lpco(engine, registries["RS-PHY-1"]).status == "suspended"
    stale = client.post(path, data={"action": "suspend", "reason": "a second time"})
    assert stale.status_code == 409 and "is suspended: it cannot be suspended" in stale.text
    back = client.post(path, data={"action": "reinstate", "reason": "investigation closed"})
    assert back.status_code == 303
    assert lpco(engine, registries["RS-PHY-1"]).status == "active"
    with acting_for("RS"), Session(engine) as session:
        audited = session.execute(
            select(AuditRecord.action, AuditRecord.object, AuditRecord.outcome)
            .where(AuditRecord.party == "RS", AuditRecord.action.startswith("web.lpco."))
            .order_by(AuditRecord.seq)
        ).all()
    lpco_id = registries["RS-PHY-1"]
    assert [tuple(a) for a in audited] == [
        ("web.lpco.suspend", f"lpco:{lpco_id}", "suspended"),
        ("web.lpco.reinstate", f"lpco:{lpco_id}", "reinstated"),
    ]


def test_an_lpco_number_with_slashes_opens_and_changes(
    client: TestClient, make_user: MakeUser, engine: Engine
) -> None:
    licence = issue(engine, "RS/LIC/2026.7", agency="veterinary")
    sign_in(client, make_user("RS", Role.AGENCY_OFFICER, name="vet", agency="veterinary"))
    listed = client.get("/registries").text
    assert 'href="/registries/lpco/RS/LIC/2026.7"' in listed
    path = "/registries/lpco/RS/LIC/2026.7"
    assert client.get(path).status_code == 200
    done = client.post(path, data={"action": "suspend", "reason": "found forged"})
    assert done.status_code == 303 and done.headers["location"] == path
    assert lpco(engine, licence).status == "suspended"
