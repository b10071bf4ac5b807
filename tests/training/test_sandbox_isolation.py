"""The sandbox (ZZ) holds training and benchmark traffic: it never reaches live numbers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from riskhub.access.roles import Role
from riskhub.actionplan.measures import measure_all
from riskhub.app import create_app
from riskhub.declarations import service as declarations
from riskhub.selectivity import service as selectivity
from tests.conftest import MakeUser
from tests.helpers import nested
from tests.selectivity.test_service import load


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


def test_sandbox_traffic_stays_out_of_cross_party_kpis_and_the_tracker(
    engine: Engine, client: TestClient, make_user: MakeUser
) -> None:
    load(engine, *[nested(f"R{i}", lodged_at="2026-06-02T08:00:00Z") for i in range(12)])
    summary = declarations.ingest_records(
        engine=engine, submitted_by_party="ZZ", body_sha256="zz",
        records=[nested(f"T{i}", party="ZZ", office="ZZ-TRAIN", lodged_at="2026-06-02T08:00:00Z")
                 for i in range(30)],
    )  # fmt: skip
    assert summary.stored == 30, summary
    for party in ("RS", "ZZ"):
        selectivity.decide_pending(engine_=engine, party=party)
    period = {"since": "2026-06-01", "until": "2026-06-30", "by": "party"}
    for role, party in ((Role.SECRETARIAT, "XS"), (Role.RMWG, "AL")):
        seen = client.get("/api/v1/kpis", params=period,
                          headers={"Authorization": f"Bearer {make_user(party, role)}"})  # fmt: skip
        assert seen.status_code == 200, seen.text
        assert {r["party"]: r["declarations"] for r in seen.json()["rows"]} == {"RS": 12}
        assert "ZZ" not in seen.json()["parties"]
    # The sandbox's own analysts (trainers) do see it.
    own = client.get("/api/v1/kpis", params=period,
                     headers={"Authorization": f"Bearer {make_user('ZZ', Role.ANALYST)}"})  # fmt: skip
    assert {r["party"]: r["declarations"] for r in own.json()["rows"]} == {"ZZ": 30}
    # The tracker counts CEFTA administrations only: the sandbox is not "in the hub" (L4).
    assert measure_all(engine=engine)["L4"].value == round(1 / 7, 4)
