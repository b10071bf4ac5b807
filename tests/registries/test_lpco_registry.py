"""The LPCO registry: issue, status transitions (and the refused ones), API rules, CLI, CSV import."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from riskhub.access.roles import Role
from riskhub.app import create_app
from riskhub.cli import app as cli
from riskhub.cli.ingest import EXIT_SOME_REJECTED
from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for
from riskhub.registries.lpco import service
from riskhub.registries.lpco.imports import import_lpcos
from tests.conftest import MakeUser
from tests.registries.support import citing, decide, issue, lpco, submit

runner = CliRunner()
BODY = {
    "number": "RS-PHY-1", "kind": "certificate", "holder": "RS100000001",
    "hs_scope": ["0808"], "allowance": 1000, "unit": "kg",
    "valid_from": "2026-01-01", "valid_to": "2026-12-31",
}  # fmt: skip


def change(engine: Engine, lpco_id: int, action: str, agency: str | None = None) -> str:
    """The LPCO's status after ``action``, or the refusal's words."""
    issuer = service.Issuer(actor="test", agency=agency)
    try:
        with acting_for("RS"), Session(engine) as session, session.begin():
            row = service.change_status(session=session, party="RS", lpco_id=lpco_id,
                                        action=action, reason=f"test {action}", issuer=issuer,
                                        now=utcnow())  # fmt: skip
            assert row is not None
            return row.status
    except service.LpcoError as error:
        return f"{error.status}: {error}"


def test_every_transition_and_every_refused_one(engine: Engine) -> None:
    licence = issue(engine)
    assert change(engine, licence, "reinstate") == (
        "409: LPCO RS-LIC-1 is active: it cannot be reinstated"
    )
    assert change(engine, licence, "suspend") == "suspended"
    assert change(engine, licence, "suspend") == (
        "409: LPCO RS-LIC-1 is suspended: it cannot be suspended"
    )
    assert change(engine, licence, "reinstate") == "active"
    assert change(engine, licence, "revoke") == "revoked"
    for action in ("suspend", "reinstate", "revoke"):
        assert change(engine, licence, action).endswith("(revocation is final)")
    with acting_for("RS"), Session(engine) as session:
        row = service.get_lpco(session=session, party="RS", lpco_id=licence)
        assert row is not None
        events = service.history(session=session, lpco=row)
        assert [(e.action, e.status, e.reason) for e in events] == [
            ("issue", "active", "issued"), ("suspend", "suspended", "test suspend"),
            ("reinstate", "active", "test reinstate"), ("revoke", "revoked", "test revoke"),
        ]  # fmt: skip
        # Another Party's LPCO is not found, whatever its id.
        assert service.get_lpco(session=session, party="MK", lpco_id=licence) is None


def test_only_the_issuing_agency_changes_an_lpco(engine: Engine) -> None:
    licence = issue(engine)  # market surveillance
    assert change(engine, licence, "suspend", agency="veterinary") == (
        "403: LPCO RS-LIC-1 was issued by the market_surveillance agency; only it may suspend it"
    )
    assert change(engine, licence, "suspend", agency="market_surveillance") == "suspended"


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_api_issue_read_change_and_refusals(client: TestClient, make_user: MakeUser) -> None:
    phyto = auth(make_user("RS", Role.AGENCY_OFFICER, name="phyto", agency="phytosanitary"))
    vet = auth(make_user("RS", Role.AGENCY_OFFICER, name="vet", agency="veterinary"))
    officer = auth(make_user("RS", Role.OFFICER, offices=["RS-PRE"]))
    foreign = auth(make_user("MK", Role.AGENCY_OFFICER, name="mk", agency="phytosanitary"))
    made = client.post("/api/v1/lpcos", json=BODY, headers=phyto)
    assert made.status_code == 201, made.text
    out = made.json()
    assert (out["agency"], out["status"], out["left"], out["party"]) == (
        "phytosanitary",
        "active",
        1000.0,
        "RS",
    )
    assert [e["action"] for e in out["history"]] == ["issue"]
    path = f"/api/v1/lpcos/{out['id']}"
    again = client.post("/api/v1/lpcos", json=BODY, headers=phyto)
    assert again.status_code == 409
    assert again.json()["detail"] == "number: LPCO RS-PHY-1 already exists in RS's registry"
    other = client.post("/api/v1/lpcos", json={**BODY, "number": "X2", "agency": "veterinary"},
                        headers=phyto)  # fmt: skip
    assert other.status_code == 403
    assert "you issue for the phytosanitary agency, not veterinary" in other.json()["detail"]
    half = client.post("/api/v1/lpcos", json={**BODY, "number": "X3", "unit": None},
                       headers=phyto)  # fmt: skip
    assert half.status_code == 422
    assert "allowance and unit go together" in half.text
    # The officer reads; the veterinary agency may not suspend a phytosanitary certificate.
    assert client.get(path, headers=officer).json()["number"] == "RS-PHY-1"
    assert client.post("/api/v1/lpcos", json=BODY, headers=officer).status_code == 403
    refused = client.post(f"{path}/suspend", json={"reason": "checks"}, headers=vet)
    assert refused.status_code == 403
    suspended = client.post(f"{path}/suspend", json={"reason": "checks"}, headers=phyto)
    assert suspended.json()["status"] == "suspended"
    assert client.post(f"{path}/revoke", json={"reason": "fraud"}, headers=phyto).status_code == 200
    final = client.post(f"{path}/reinstate", json={"reason": "oops"}, headers=phyto)
    assert final.status_code == 409
    assert "revocation is final" in final.json()["detail"]
    # Another Party's agency sees nothing of it.
    assert client.get(path, headers=foreign).status_code == 404
    assert (
        client.post(f"{path}/suspend", json={"reason": "xyz"}, headers=foreign).status_code == 404
    )
    assert client.get("/api/v1/lpcos", headers=foreign).json() == []
    listed = client.get("/api/v1/lpcos", params={"status": "revoked"}, headers=officer).json()
    assert [r["number"] for r in listed] == ["RS-PHY-1"]


def test_api_lists_the_drawdowns(
    client: TestClient, make_user: MakeUser, app_engine: Engine
) -> None:
    licence = issue(app_engine)
    ids = submit(app_engine, citing("D1", "RS-LIC-1"), citing("D2", "RS-LIC-1"))
    decide(app_engine, ids)
    analyst = auth(make_user("RS", Role.ANALYST))
    found = client.get(f"/api/v1/lpcos/{licence}/drawdowns", headers=analyst).json()
    assert sorted((d["reference"], d["amount"]) for d in found) == [("D1", 100.0), ("D2", 100.0)]
    assert client.get(f"/api/v1/lpcos/{licence}", headers=analyst).json()["left"] == 800.0


HEADER = "party,number,kind,agency,holder,hs_scope,allowance,unit,valid_from,valid_to\n"


def test_csv_import_keeps_good_rows_and_names_each_bad_one(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "lpcos.csv"
    path.write_text(
        HEADER
        + "RS,RS-LIC-1,licence,market_surveillance,RS100000001,8471;8473,1000,kg,2026-01-01,2026-12-31\n"
        + "RS,RS-PHY-2,certificate,phytosanitary,RS100000002,,,,2026-01-01,2026-12-31\n"
        + "XX,RS-LIC-3,licence,phytosanitary,RS100000003,,,,2026-01-01,2026-12-31\n"
        + "RS,RS-LIC-4,licence,police,RS100000003,,,,2026-01-01,2026-12-31\n"
        + "RS,RS-LIC-5,permit,phytosanitary,RS100000003,,100,,2026-01-01,2026-12-31\n"
        + "RS,RS-LIC-6,permit,phytosanitary,RS100000003,,,,2026-13-01,2026-12-31\n"
        + "RS,RS-LIC-1,licence,market_surveillance,RS100000009,,,,2026-01-01,2026-12-31\n"
        + "MK,MK-VET-1,certificate,veterinary,MK100000001,0201,50,units,2026-01-01,2026-06-30\n",
        encoding="utf-8",
    )
    result = import_lpcos(engine=engine, path=path)
    assert (result.inserted, result.rejected_rows) == (3, 5)
    assert [str(p) for p in result.problems] == [
        "line 4, field party: unknown Party code 'XX'",
        "line 5, field agency: unknown agency 'police'; one of customs, market_surveillance, "
        "phytosanitary, veterinary",
        "line 6: allowance and unit go together: give both, or neither",
        "line 7, field valid_from: '2026-13-01' is not a date (use YYYY-MM-DD, e.g. 2026-06-01)",
        "line 8, field number: LPCO RS-LIC-1 is already in RS's registry with other terms; an "
        "issued LPCO is not rewritten (suspend or revoke it, and issue a new number)",
    ]
    again = import_lpcos(engine=engine, path=path)
    assert (again.inserted, again.unchanged) == (0, 3)
    with acting_for("MK"), Session(engine) as session:
        row = service.find_lpco(session=session, party="MK", number="MK-VET-1")
        assert row is not None and (row.allowance, row.unit, row.hs_scope) == (50, "units", "0201")


def test_cli_add_list_show_suspend_revoke_and_import(engine: Engine, tmp_path: Path) -> None:
    added = runner.invoke(cli, [
        "lpco", "add", "--party", "RS", "--number", "RS-LIC-9", "--agency", "veterinary",
        "--holder", "RS100000001", "--hs", "0201", "--allowance", "500", "--unit", "kg",
        "--from", "2026-01-01", "--to", "2026-12-31",
    ])  # fmt: skip
    assert added.exit_code == 0, added.output
    twice = runner.invoke(cli, [
        "lpco", "add", "--party", "RS", "--number", "RS-LIC-9", "--agency", "veterinary",
        "--holder", "RS100000001", "--from", "2026-01-01", "--to", "2026-12-31",
    ])  # fmt: skip
    assert twice.exit_code == 2
    assert "already exists" in twice.output
    listed = runner.invoke(cli, ["lpco", "list", "--party", "RS", "--json"])
    assert [r["number"] for r in orjson.loads(listed.stdout)] == ["RS-LIC-9"]
    suspended = runner.invoke(cli, ["lpco", "suspend", "RS-LIC-9", "--party", "RS",
                                    "--reason", "audit"])  # fmt: skip
    assert suspended.exit_code == 0 and "now suspended" in suspended.output
    revoked = runner.invoke(cli, ["lpco", "revoke", "RS-LIC-9", "--party", "RS",
                                  "--reason", "fraud"])  # fmt: skip
    assert revoked.exit_code == 0
    refused = runner.invoke(cli, ["lpco", "reinstate", "RS-LIC-9", "--party", "RS",
                                  "--reason", "no"])  # fmt: skip
    assert refused.exit_code == 2 and "revocation is final" in refused.output
    shown = runner.invoke(cli, ["lpco", "show", "RS-LIC-9", "--party", "RS"])
    assert shown.exit_code == 0
    assert "revoke" in shown.output and "fraud" in shown.output
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "RS,RS-LIC-10,licence,nobody,RS1,,,,2026-01-01,2026-12-31\n")
    imported = runner.invoke(cli, ["lpco", "import", str(bad)])
    assert imported.exit_code == EXIT_SOME_REJECTED
    assert "line 2, field agency: unknown agency 'nobody'" in imported.output
    assert lpco(engine, 1).number == "RS-LIC-9"
