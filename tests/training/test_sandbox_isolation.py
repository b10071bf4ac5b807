"""The sandbox (ZZ) holds training and benchmark traffic: it never reaches live numbers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.access.roles import Role
from riskhub.actionplan.measures import measure_all
from riskhub.app import create_app
from riskhub.declarations import service as declarations
from riskhub.declarations.models import Declaration
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


def _inspect(engine: Engine, party: str, ids: list[int]) -> None:
    """A discrepancy found on each of these declarations (the model's labels)."""
    from riskhub.db.tenancy import acting_for
    from riskhub.inspections.schemas import InspectionIn
    from riskhub.inspections.service import Recorder, record_many

    body = {"kind": "physical", "inspector": "officer", "started_at": "2026-06-03T10:00:00Z",
            "finished_at": "2026-06-03T11:00:00Z", "outcome": "discrepancy",
            "findings": [{"category": "quantity_mass", "item_no": 1, "detail": "short"}]}  # fmt: skip
    records = [(i, InspectionIn.model_validate({**body, "reference": f"CR-{party}-{i}"}))
               for i in ids]  # fmt: skip
    with acting_for(party), Session(engine) as session, session.begin():
        done = record_many(session=session, party=party, records=records, recorder=Recorder(None))
    assert {d.status for d in done} == {"created"}, [d.problems for d in done]


def test_a_live_partys_model_trains_on_its_own_inspections_never_the_sandbox(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from riskhub.targeting.training import inspected
    from riskhub.training import exercises, service
    from tests.training.test_api import SMALL

    monkeypatch.setitem(exercises.shipped(), "SMALL", SMALL)
    # The sandbox holds an exercise's traffic, decided and inspected as if it were live...
    assert service.start(engine=engine, code="SMALL") > 500
    selectivity.decide_pending(engine_=engine, party="ZZ")
    with engine.connect() as conn:
        sandbox_ids = conn.execute(
            select(Declaration.id).where(Declaration.party == "ZZ").order_by(Declaration.id)
            .limit(5)).scalars().all()  # fmt: skip
    _inspect(engine, "ZZ", list(sandbox_ids))
    # ... and Serbia has three inspected declarations of its own.
    serbian = load(engine, *[nested(f"R{i}", lodged_at="2026-06-02T08:00:00Z") for i in range(3)])
    selectivity.decide_pending(engine_=engine, party="RS")
    _inspect(engine, "RS", serbian)
    since, until = datetime(2000, 1, 1), datetime(2100, 1, 1)
    sandbox = inspected(engine=engine, party="ZZ", since=since, until=until)
    serbia = inspected(engine=engine, party="RS", since=since, until=until)
    assert sandbox.declarations == 5 and serbia.declarations == 3
    assert set(serbia.rows["id"].to_list()) == {"R0", "R1", "R2"}
