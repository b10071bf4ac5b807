"""KPIs, reviews and reports on stored data: scopes per caller, the CLI, the PDF."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pypdfium2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from riskhub.access.roles import Role
from riskhub.app import create_app
from riskhub.cli import app
from riskhub.reference.parties import SECRETARIAT_PARTY
from riskhub.selectivity import service as selectivity
from riskhub.synth import officers
from tests.conftest import MakeUser
from tests.helpers import nested
from tests.selectivity.test_service import HEAVY, activate, load, with_item

runner = CliRunner()


@pytest.fixture
def traffic(engine: Engine) -> dict[str, int]:
    """Serbian and Macedonian declarations, decided and inspected by the demo's officers."""
    activate(engine, HEAVY)
    heavy = [with_item(f"H{i}", net_mass="900", gross_mass="950") for i in range(6)]
    plain = [nested(f"P{i}", lodged_at=f"2026-06-{1 + i % 20:02d}T08:00:00Z") for i in range(30)]
    load(engine, *heavy, *plain)
    from riskhub.declarations import service as declarations

    declarations.ingest_records(
        engine=engine, submitted_by_party="MK", body_sha256="mk",
        records=[nested(f"M{i}", party="MK", office="MK-TAB" if i < 12 else "MK-BLA",
                        dispatch_country="RS", exporter="RS100000002")
                 for i in range(15)],
    )  # fmt: skip
    officers.save_demo_checklists(engine=engine, owner=SECRETARIAT_PARTY)
    counts = {}
    for party in ("RS", "MK"):
        selectivity.decide_pending(engine_=engine, party=party)
        done = officers.simulate(engine=engine, party=party, owner=SECRETARIAT_PARTY)
        assert done.rejected == 0
        counts[party] = done.release_times
    return counts


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


PERIOD = {"since": "2026-05-01", "until": "2026-07-31"}


def test_each_caller_sees_the_parties_they_may(
    traffic: dict[str, int], client: TestClient, make_user: MakeUser
) -> None:
    rs = {"Authorization": f"Bearer {make_user('RS', Role.ANALYST)}"}
    mine = client.get("/api/v1/kpis", params={**PERIOD, "by": "channel"}, headers=rs).json()
    assert mine["parties"] == ["RS"]
    assert sum(r["declarations"] for r in mine["rows"]) == traffic["RS"] == 36
    red = next(r for r in mine["rows"] if r["channel"] == "red")
    assert red["inspections"] >= 6  # the six heavy ones at least
    xs = {"Authorization": f"Bearer {make_user('XS', Role.SECRETARIAT)}"}
    everyone = client.get("/api/v1/kpis", params={**PERIOD, "by": "party"}, headers=xs).json()
    by_party = {r["party"]: r["declarations"] for r in everyone["rows"]}
    assert by_party == {"RS": 36, "MK": 15}
    # Groups under ten declarations are left out across Parties (MK-BLA has three).
    offices = client.get("/api/v1/kpis", params={**PERIOD, "by": "office"}, headers=xs).json()
    assert {r["office"]: r["declarations"] for r in offices["rows"]} == {"RS-PRE": 36, "MK-TAB": 12}
    # Across Parties only the common profiles; Serbia's own RS-HEAVY stays Serbia's.
    profiles = client.get("/api/v1/kpis", params={**PERIOD, "by": "profile"}, headers=xs).json()
    assert all(r["profile"].startswith("XS/") for r in profiles["rows"])
    own = client.get("/api/v1/kpis", params={**PERIOD, "by": "profile"}, headers=rs).json()
    assert "RS/RS-HEAVY" in {r["profile"] for r in own["rows"]}
    # Numbers only: no declaration, reference or trader in what the Secretariat gets.
    text = json.dumps(everyone)
    for secret in ("declaration_id", "H1", "RS100000001", "MK100000002"):
        assert secret not in text
    mk = {"Authorization": f"Bearer {make_user('MK', Role.ANALYST)}"}
    assert client.get("/api/v1/kpis", params=PERIOD, headers=mk).json()["parties"] == ["MK"]
    far = client.get("/api/v1/kpis", params={"until": "0001-01-05"}, headers=rs)
    assert far.status_code == 400 and "between the years" in far.text
    bad = client.get("/api/v1/kpis", params={"since": "2026-07-01", "until": "2026-06-01"},
                     headers=rs)  # fmt: skip
    assert bad.status_code == 400 and "since is after until" in bad.text


def test_profile_review_and_pilot_over_the_api(
    traffic: dict[str, int], client: TestClient, make_user: MakeUser
) -> None:
    rs = {"Authorization": f"Bearer {make_user('RS', Role.ANALYST)}"}
    review = client.get("/api/v1/kpis/profiles", params=PERIOD, headers=rs).json()
    (heavy,) = [p for p in review["profiles"] if p["profile"] == "RS/RS-HEAVY"]
    assert heavy["matches"] == 6 and heavy["selected"] == 6
    assert "too_few_inspections" in heavy["flags"]  # six inspected, fewer than ten
    # Its last match (1 June) is 19 days before the last lodgement (20 June): not silent,
    # though the period runs on to 31 July with no traffic at all.
    assert "no_matches" not in heavy["flags"]
    pilot = client.get(
        "/api/v1/kpis/pilot",
        params={**PERIOD, "offices": "RS-PRE", "start": "2026-06-10"},
        headers=rs,
    )
    assert pilot.status_code == 200, pilot.text
    assert pilot.json()["difference_in_differences"] is None  # no control offices named
    unknown = client.get(
        "/api/v1/kpis/pilot",
        params={**PERIOD, "offices": "RS-PRE", "control": "MK-TAB", "start": "2026-06-10"},
        headers=rs,
    )
    assert unknown.status_code == 400 and "MK-TAB" in unknown.text  # not Serbia's office


def test_cli_kpi_inspect_and_review_pdf(
    traffic: dict[str, int], engine: Engine, tmp_path: Path
) -> None:
    out = runner.invoke(app, ["kpi", "--since", "2026-05-01", "--until", "2026-07-31",
                              "--by", "office", "--json"])  # fmt: skip
    assert out.exit_code == 0, out.output
    rows = {r["office"]: r for r in json.loads(out.stdout)["rows"]}
    assert rows["RS-PRE"]["declarations"] == 36 and rows["MK-TAB"]["declarations"] == 12
    assert rows["MK-BLA"]["declarations"] == 3  # the operator's view leaves nothing out
    assert runner.invoke(app, ["kpi", "--by", "trader"]).exit_code == 2

    # A file with one good result, one for an unknown declaration, one malformed line.
    records = tmp_path / "results.jsonl"
    good = {"declaration": "P1", "reference": "AD-HOC-1", "kind": "documentary",
            "inspector": "x", "started_at": "2026-06-02T09:00:00Z",
            "finished_at": "2026-06-02T09:20:00Z", "outcome": "discrepancy",
            "findings": [{"category": "documents"}]}  # fmt: skip
    records.write_text(
        json.dumps(good) + "\n" + json.dumps({**good, "declaration": "NOPE", "reference": "X2"})
        + "\n{not json\n"
    )  # fmt: skip
    recorded = runner.invoke(app, ["inspect", "record", str(records), "--party", "RS"])
    assert recorded.exit_code == 1, recorded.output
    flat = " ".join(recorded.output.split())
    assert "1 inspections recorded" in flat and "2 records refused" in flat
    assert "no declaration 'NOPE' of RS" in flat and "line 3" in flat
    again = runner.invoke(app, ["inspect", "record", str(records), "--party", "RS"])
    assert "0 inspections recorded, 1 already there" in " ".join(again.output.split())

    load(engine, *(nested(f"T{i}") for i in range(3)))  # lodged 2026-06-01 08:00, no times yet
    stamps = tmp_path / "times.csv"
    stamps.write_text(
        "reference,arrival_at,released_at\n"
        "T0,2026-06-01T07:00:00,2026-06-01T10:00:00\n"
        "T1,2026-06-01T12:00:00,2026-06-01T09:00:00\n"
        "T2,yesterday,\n"
        "T2,2026-06-01T07:00:00,2026-06-01T10:00:00,surplus\n"
        "T2,0001-01-01T00:00+05:00,\n"
    )
    loaded = runner.invoke(app, ["inspect", "times", str(stamps), "--party", "RS"])
    flat = " ".join(re.sub("[│┃]", " ", loaded.output).split())  # cells wrap in the table
    assert loaded.exit_code == 1 and "1 declarations' release times stored" in flat
    assert "line 3" in flat and "released after they arrive" in flat
    assert "line 4" in flat and "'yesterday' is not a date and time" in flat
    assert "line 5" in flat and "more cells than the header" in flat
    assert "line 6" in flat and "between the years 2000 and 2100" in flat

    pdf = tmp_path / "review.pdf"
    made = runner.invoke(app, ["report", "review", "--period", "2026H1", "--out", str(pdf)])
    assert made.exit_code == 0, made.output
    document = pypdfium2.PdfDocument(pdf)
    first = document[0]
    text = first.get_textpage().get_text_range()
    assert "Risk management review 2026H1" in text and "Hit rate" in text
    assert "51" in text  # the declarations: 36 + 15
    image = first.render(scale=0.5).to_pil().convert("L")
    dark = sum(image.histogram()[:128])  # pixels darker than mid-grey
    assert dark > 2000  # text and charts drawn, not a blank page
    html = tmp_path / "review.html"
    assert runner.invoke(app, ["report", "review", "--period", "2026H1",
                               "--out", str(html)]).exit_code == 0  # fmt: skip
    assert "<svg" in html.read_text()  # charts inline, no network needed
    assert runner.invoke(app, ["report", "review", "--period", "2026Q3", "--out",
                               str(html)]).exit_code == 2  # fmt: skip
