"""The registry lifecycle, the model in the selectivity engine, shadow scores, drift alerts."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from riskhub.db.tenancy import acting_for
from riskhub.selectivity import service as selectivity
from riskhub.selectivity.models import SelectivityDecision
from riskhub.selectivity.scoring import NoModel
from riskhub.targeting import registry
from riskhub.targeting.drift import drift
from riskhub.targeting.metrics import psi
from riskhub.targeting.model import RiskModel, fit
from riskhub.targeting.models import RiskModelVersion, ShadowScore
from riskhub.targeting.scorer import ModelScorer, scorer_for
from tests.conftest import MakeUser
from tests.helpers import nested
from tests.selectivity.test_service import load
from tests.targeting.test_features_and_bias import traffic


@pytest.fixture(scope="module")
def trained() -> RiskModel:
    return fit(traffic(3000, 21), rounds=60)


def test_lifecycle_champion_challenger_retired(engine: Engine, trained: RiskModel) -> None:
    with acting_for("RS"), Session(engine) as session, session.begin():
        first = registry.register(session=session, party="RS", model=trained, trained_by="a")
        second = registry.register(session=session, party="RS", model=trained, trained_by="a")
        assert (first.version, second.version, first.status) == (1, 2, "candidate")
        # Registered is not serving.
        assert isinstance(scorer_for(session=session, party="RS"), NoModel)
        registry.approve(session=session, party="RS", version=1, role="champion", approved_by="h")
        registry.approve(session=session, party="RS", version=2, role="challenger",
                         approved_by="h")  # fmt: skip
        serving = registry.serving(session=session, party="RS")
        assert serving.champion and serving.champion[0].version == 1
        assert serving.challenger and serving.challenger[0].version == 2
        assert isinstance(scorer_for(session=session, party="RS"), ModelScorer)
        # Promoting the challenger retires the old champion.
        registry.approve(session=session, party="RS", version=2, role="champion", approved_by="h")
        statuses = {r.version: r.status for r in registry.versions(session=session, party="RS")}
        assert statuses == {1: "retired", 2: "champion"}
        with pytest.raises(registry.RegistryError, match="retired"):
            registry.approve(session=session, party="RS", version=1, role="champion",
                             approved_by="h")  # fmt: skip
        with pytest.raises(registry.RegistryError, match="no model version 9"):
            registry.approve(session=session, party="RS", version=9, role="champion",
                             approved_by="h")  # fmt: skip
        # Another Party sees none of it.
        assert registry.versions(session=session, party="MK") == []
    with Session(engine) as session, session.begin():
        session.execute(update(RiskModelVersion).values(artifact=b"PK tampered"))
    with acting_for("RS"), Session(engine) as session:
        (row,) = [r for r in registry.versions(session=session, party="RS") if r.version == 1]
        with pytest.raises(registry.RegistryError, match="do not match"):
            registry.unpack(row)


def test_the_champion_decides_with_reasons_and_the_challenger_shadows(
    engine: Engine, trained: RiskModel
) -> None:
    with acting_for("RS"), Session(engine) as session, session.begin():
        for version, role in ((1, "champion"), (2, "challenger")):
            registry.register(session=session, party="RS", model=trained, trained_by="a")
            registry.approve(session=session, party="RS", version=version, role=role,
                             approved_by="h")  # fmt: skip
    load(engine, *(nested(f"N{i}") for i in range(5)))
    selectivity.decide_pending(engine_=engine, party="RS")
    with Session(engine) as session:
        rows = session.scalars(select(SelectivityDecision)).all()
        assert len(rows) == 5 and all(r.model_version == "RS-model-v1" for r in rows)
        said = [r for d in rows for r in json.loads(d.reasons) if r.get("model")]
        assert len(said) == 5
        assert all(r["sentence"].startswith("Risk model (score ") and "likely non-compliant" in
                   r["sentence"] for r in said)  # fmt: skip
        assert session.scalar(select(func.count(ShadowScore.id))) == 5


def test_drift_alerts(engine: Engine, trained: RiskModel) -> None:
    # PSI itself: the same distribution is stable, a moved one is not.
    rng = np.random.default_rng(3)
    reference = rng.normal(size=5000)
    edges = list(np.quantile(reference, np.linspace(0.1, 0.9, 9)))
    assert psi(edges, None, rng.normal(size=5000)) < 0.02
    assert psi(edges, None, rng.normal(1.0, 1.0, 5000)) > 0.25
    since, until = datetime(2026, 5, 1), datetime(2026, 7, 1)
    quiet = drift(engine=engine, party="RS", since=since, until=until)
    assert quiet["alerts"] == ["no approved model serves"]
    with acting_for("RS"), Session(engine) as session, session.begin():
        registry.register(session=session, party="RS", model=trained, trained_by="a")
        registry.approve(session=session, party="RS", version=1, role="champion", approved_by="h")
    # The stored declarations look nothing like the training traffic (one value, one mass).
    load(engine, *(nested(f"D{i}") for i in range(30)))
    report = drift(engine=engine, party="RS", since=since, until=until)
    assert report["status"] == "retrain"
    assert any("features shifted" in a for a in report["alerts"])
    assert report["features"]["log_value"] > 0.25


def test_office_weights_and_exploration_shape_the_selection(trained: RiskModel) -> None:
    import polars as pl

    from riskhub.selectivity.pipeline import OfficeRates
    from riskhub.targeting.models import RiskModelVersion as Row

    row = Row(party="RS", version=1)
    items = pl.DataFrame({"office": ["RS-PRE", "RS-BAT"]})
    predicted = pl.DataFrame({"probability": [0.5, 0.5], "expected_revenue": [1000.0, 1000.0]})
    seen = np.array([0.0, 0.0])
    plain = ModelScorer((row, trained), rates={
        "RS-PRE": OfficeRates(revenue_weight=0.0, exploration=0.0),
        "RS-BAT": OfficeRates(revenue_weight=0.05, exploration=0.0)})  # fmt: skip
    first, second = plain._selection(items, predicted, seen)
    assert first == 0.5 and second == pytest.approx(min(1.0, 0.5 * 1001**0.05))
    curious = ModelScorer((row, trained), rates={
        "RS-PRE": OfficeRates(revenue_weight=0.0, exploration=0.5),
        "RS-BAT": OfficeRates(revenue_weight=0.0, exploration=0.5)})  # fmt: skip
    # Goods never seen get the full bonus (0.5 × sqrt(0.25)); goods seen 99 times a tenth.
    unseen, familiar = curious._selection(items, predicted, np.array([0.0, 99.0]))
    assert unseen == pytest.approx(0.75) and familiar == pytest.approx(0.525)


def test_a_declaration_sent_again_keeps_one_shadow_score(
    engine: Engine, trained: RiskModel, make_user: MakeUser
) -> None:
    from fastapi.testclient import TestClient

    from riskhub.access.roles import Role
    from riskhub.app import create_app

    with acting_for("RS"), Session(engine) as session, session.begin():
        for version, role in ((1, "champion"), (2, "challenger")):
            registry.register(session=session, party="RS", model=trained, trained_by="a")
            registry.approve(session=session, party="RS", version=version, role=role,
                             approved_by="h")  # fmt: skip
        # The champion cannot step down to challenger and leave nothing serving.
        with pytest.raises(registry.RegistryError, match="approve another champion first"):
            registry.approve(session=session, party="RS", version=1, role="challenger",
                             approved_by="h")  # fmt: skip
    token = make_user("RS", Role.ANALYST)
    body = nested("API-1")
    del body["party"]
    with TestClient(create_app()) as client:
        for _ in range(2):
            sent = client.post("/api/v1/declarations", json=body,
                               headers={"Authorization": f"Bearer {token}"})  # fmt: skip
            assert sent.status_code in (200, 201), sent.text
    with Session(engine) as session:
        assert session.scalar(select(func.count(ShadowScore.id))) == 1
        declaration_id = session.scalars(select(SelectivityDecision.declaration_id)).one()
    with TestClient(create_app()) as client:
        got = client.get(f"/api/v1/declarations/{declaration_id}/decision",
                         headers={"Authorization": f"Bearer {token}"}).json()  # fmt: skip
    (said,) = [r for r in got["reasons"] if r.get("model")]
    assert said["model"] == "RS-model-v1" and "likely non-compliant" in said["sentence"]


def test_training_weights_use_the_rate_of_the_draw(engine: Engine) -> None:
    from riskhub.selectivity.pipeline import OfficeRates
    from riskhub.targeting.training import inspected

    with acting_for("RS"), Session(engine) as session, session.begin():
        selectivity.set_office_rates(session=session, party="RS", office="RS-PRE",
                                     rates=OfficeRates(random_rate=1.0))  # fmt: skip
    (declaration_id,) = load(engine, nested("R1"))
    selectivity.decide_pending(engine_=engine, party="RS")
    with Session(engine) as session:
        decision = session.scalars(select(SelectivityDecision)).one()
        (random,) = [r for r in json.loads(decision.reasons) if r.get("random")]
        assert decision.random_control and random["rate"] == 1.0
    # The office lowers its rate afterwards; the weight still follows the draw (1 / 1.0).
    with acting_for("RS"), Session(engine) as session, session.begin():
        selectivity.set_office_rates(session=session, party="RS", office="RS-PRE",
                                     rates=OfficeRates(random_rate=0.01))  # fmt: skip
    from riskhub.inspections.schemas import InspectionIn
    from riskhub.inspections.service import Recorder, record_many
    from tests.inspections.test_inspections_api import result

    with acting_for("RS"), Session(engine) as session, session.begin():
        body = InspectionIn.model_validate(result(answers=[], findings=[], outcome="no_discrepancy",
                                                  additional_revenue_eur=0))  # fmt: skip
        (done,) = record_many(session=session, party="RS", records=[(declaration_id, body)],
                              recorder=Recorder(None))  # fmt: skip
        assert done.status == "created", done.problems
    found = inspected(engine=engine, party="RS", since=datetime(2026, 5, 1),
                      until=datetime(2026, 7, 1))  # fmt: skip
    assert found.random_only == 1 and list(found.weights) == [1.0, 1.0]


def test_negative_numbers_are_refused_with_their_line(tmp_path: Path) -> None:
    from riskhub.targeting.sources import SourceError, read

    kcs = Path(__file__).resolve().parents[3] / "shared" / "data" / "customs-declaration-datasets"
    rows = (kcs / "df_syn_train_eng.csv").read_text().splitlines()[:4]
    header = rows[0].split(",")
    third = rows[3].split(",")
    third[header.index("Tax Rate")] = "-5"
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([*rows[:3], ",".join(third)]) + "\n")
    with pytest.raises(SourceError, match="line 4: 'tax_rate' is negative"):
        read(path, format="kcs")
