"""The batch engines give the hub's own answers: decisions and backtests, in process and on Spark.

One generated world (two months of RS traffic, the starter profile library,
AEOs, a champion model with a challenger in shadow, an LPCO registry with
declarations citing it) is decided three ways: by the hub's batch
(``decide_pending``), by the local batch engine over exported Parquet, and by
Spark in local mode. Everything stored must be the same: the decisions with
their reasons and budget moves, the challenger's shadow scores, the LPCO
drawdowns, the KPI rollup.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from riskhub.batch import export
from riskhub.batch import service as batch
from riskhub.batch.engines import (
    BatchEngine,
    BatchError,
    LocalEngine,
    SparkEngine,
    spark_available,
)
from riskhub.batch.work import DecideWork
from riskhub.db.tenancy import acting_for
from riskhub.declarations import service as declarations
from riskhub.kpis.models import KpiDay
from riskhub.profiles import service as profiles
from riskhub.profiles.backtest import backtest
from riskhub.registries.lpco.models import Lpco, LpcoDrawdown
from riskhub.registries.service import import_aeo
from riskhub.selectivity import service as selectivity
from riskhub.selectivity.models import SelectivityDecision
from riskhub.selectivity.pipeline import OfficeRates
from riskhub.synth.generator import TrafficSpec, generate, generate_aeo
from riskhub.synth.writer import write_aeo, write_traffic
from riskhub.targeting import registry
from riskhub.targeting.model import fit
from riskhub.targeting.models import ShadowScore
from tests.registries.support import citing, issue, submit
from tests.targeting.test_features_and_bias import traffic

LIBRARY = Path(__file__).parents[2] / "src" / "riskhub" / "profiles" / "library"
SPEC = TrafficSpec(days=40, trucks_per_day=40, start=date(2026, 4, 20))
DRAFT = """\
code: RS-DRAFT-HEAVY
title: Heavy machinery from far away
threat: mass
criteria:
  all:
    - hs_code: {startswith: "84"}
    - net_mass: {gt: 2000}
action: {channel: yellow}
weight: 30
"""


@pytest.fixture(scope="module", params=[None, 3], ids=["files-whole", "shuffled"])
def spark(request: pytest.FixtureRequest) -> Iterator[SparkEngine]:
    """Spark in local mode, reading each exported file whole, or shuffled by declaration.

    Read whole, with partitions of 4 KiB asked for: far smaller than any exported
    file, so Spark would split every file if the engine did not keep them whole.
    """
    why_not = spark_available()
    if why_not:
        pytest.skip(f"Spark cannot run here: {why_not}")
    small = {"spark.sql.files.maxPartitionBytes": "4096"}
    engine = SparkEngine("local[2]", partitions=request.param, conf=small)
    yield engine
    engine.close()


def build_world(engine: Engine, tmp_path: Path) -> None:
    frame = generate(SPEC)
    write_traffic(frame, tmp_path / "traffic.csv")
    declarations.ingest_path(engine=engine, path=tmp_path / "traffic.csv")
    write_aeo(generate_aeo(SPEC), tmp_path / "aeo.csv")
    assert import_aeo(engine=engine, path=tmp_path / "aeo.csv").inserted
    with acting_for("RS"), Session(engine) as session, session.begin():
        for file in sorted(LIBRARY.glob("*.yaml")):
            text = file.read_text(encoding="utf-8")
            profiles.import_profiles(session=session, party="RS", text=text, activate=True)
        model = fit(traffic(2000, 21), rounds=30)
        for version, role in ((1, "champion"), (2, "challenger")):
            registry.register(session=session, party="RS", model=model, trained_by="test")
            registry.approve(session=session, party="RS", version=version, role=role,
                             approved_by="test")  # fmt: skip
        # A tight red capacity at one office, so the budget moves declarations too.
        selectivity.set_office_rates(
            session=session, party="RS", office="RS-PRE",
            rates=OfficeRates(red_capacity_per_day=2, target_red=0.05, target_yellow=0.2),
        )  # fmt: skip
    # An LPCO registry: some declarations cite a licence whose allowance runs out.
    issue(engine, allowance=250.0)
    submit(engine, *(citing(f"LPCO-{i}", "RS-LIC-1", net_mass=100.0) for i in range(4)))


def stored(engine: Engine) -> dict[str, Any]:
    """Everything the decisions left in the store, comparable across runs."""
    s = SelectivityDecision
    with Session(engine) as session:
        rows = session.scalars(select(s).order_by(s.declaration_id, s.declaration_version)).all()
        decisions = [
            {
                c.key: getattr(r, c.key)
                for c in s.__table__.columns
                if c.key not in ("id", "decided_at")
            }
            for r in rows
        ]
        shadow = session.execute(
            select(ShadowScore.model_id, ShadowScore.declaration_id, ShadowScore.score)
            .order_by(ShadowScore.declaration_id)
        ).all()  # fmt: skip
        drawn = session.execute(
            select(LpcoDrawdown.declaration_id, LpcoDrawdown.item_no, LpcoDrawdown.amount)
            .order_by(LpcoDrawdown.declaration_id, LpcoDrawdown.item_no)
        ).all()  # fmt: skip
        used = session.scalars(select(Lpco.used).order_by(Lpco.id)).all()
        k = KpiDay
        # By the whole key: several rows share a day, office and channel.
        key = (k.party, k.day, k.office, k.channel, k.random_control, k.aeo, k.driver)
        rollup = session.scalars(select(k).order_by(*key)).all()
        kpis = [
            {c.key: getattr(r, c.key) for c in k.__table__.columns if c.key != "id"} for r in rollup
        ]
    return {"decisions": decisions, "shadow": list(shadow), "drawn": list(drawn),
            "used": list(used), "kpis": kpis}  # fmt: skip


def forget_decisions(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        for table in (ShadowScore, LpcoDrawdown, SelectivityDecision, KpiDay):
            session.execute(delete(table))
        session.execute(update(Lpco).values(used=0.0))


def engines_agree(engine: Engine, tmp_path: Path, other: BatchEngine) -> None:
    build_world(engine, tmp_path)
    hub = selectivity.decide_pending(engine_=engine, party="RS")
    expected = stored(engine)
    forget_decisions(engine)
    summary = batch.select_on(engine_=engine, batch=other, party="RS", work_dir=tmp_path / "w")
    got = stored(engine)
    assert summary.decided == hub.decided == len(expected["decisions"])
    # The world is not trivial: every part of a decision is exercised.
    channels = {d["channel"] for d in expected["decisions"]}
    assert channels >= {"green", "yellow", "red"}, channels
    assert any(d["budget"] for d in expected["decisions"])
    assert any(d["aeo"] for d in expected["decisions"])
    assert expected["shadow"] and expected["drawn"] and expected["kpis"]
    assert sum(1 for d in expected["decisions"] if '"profile"' in d["reasons"]) > 20
    for before, after in zip(expected["decisions"], got["decisions"], strict=True):
        assert after == before, (json.loads(before["reasons"]), json.loads(after["reasons"]))
    assert got == expected
    # Nothing of the exported rows (traders' identities) stays behind.
    assert not list((tmp_path / "w").rglob("*.parquet"))


def test_the_local_batch_engine_stores_what_the_hub_decides(engine: Engine, tmp_path: Path) -> None:
    engines_agree(engine, tmp_path, LocalEngine())


def test_spark_stores_what_the_hub_decides(
    engine: Engine, tmp_path: Path, spark: SparkEngine
) -> None:
    engines_agree(engine, tmp_path, spark)


def test_spark_never_splits_a_declaration_across_partitions(
    engine: Engine, tmp_path: Path, spark: SparkEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files of many row groups, the units Spark splits a file by, still reach the work whole."""
    if spark.partitions is not None:
        pytest.skip("shuffled by declaration: files are not read whole")
    monkeypatch.setattr(export, "ROW_GROUP_ROWS", 100)
    engines_agree(engine, tmp_path, spark)
    assert spark.last_partitions == 2  # the two months' files, each read whole


def test_a_spark_backtest_reports_what_the_hub_reports(
    engine: Engine, tmp_path: Path, spark: SparkEngine
) -> None:
    build_world(engine, tmp_path)
    selectivity.decide_pending(engine_=engine, party="RS")
    since, until = datetime(2026, 4, 25), datetime(2026, 6, 2)
    here = backtest(engine=engine, party="RS", text=DRAFT, since=since, until=until)
    judged_by = batch.judging_on(engine_=engine, batch=spark, party="RS", work_dir=tmp_path / "b")
    there = backtest(
        engine=engine, party="RS", text=DRAFT, since=since, until=until, judged_by=judged_by
    )
    assert here.hits > 10 and here.inspected and here.overlap_by_profile
    assert there == here


def test_a_crash_while_storing_loses_nothing_and_a_rerun_finishes_the_same(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_world(engine, tmp_path)
    selectivity.decide_pending(engine_=engine, party="RS")
    expected = stored(engine)
    forget_decisions(engine)
    real, calls = selectivity.store_month, []

    def crash_on_the_second_month(*args: Any, **kwargs: Any) -> None:
        calls.append(kwargs["start"])
        if len(calls) == 2:
            raise OSError("disk full")
        real(*args, **kwargs)

    monkeypatch.setattr(selectivity, "store_month", crash_on_the_second_month)
    with pytest.raises(OSError, match="disk full"):
        batch.select_on(engine_=engine, batch=LocalEngine(), party="RS", work_dir=tmp_path / "w")
    first_month = stored(engine)["decisions"]
    assert first_month and all(d["lodged_at"] < calls[1] for d in first_month)
    # The LPCO citations are lodged in the second month: their draws went with its decisions.
    assert stored(engine)["drawn"] == [] and stored(engine)["used"] == [0.0]
    assert not list((tmp_path / "w").rglob("*.parquet"))
    monkeypatch.setattr(selectivity, "store_month", real)
    again = batch.select_on(engine_=engine, batch=LocalEngine(), party="RS",
                            work_dir=tmp_path / "w")  # fmt: skip
    assert again.decided == len(expected["decisions"]) - len(first_month)
    assert stored(engine) == expected


class Failing(DecideWork):
    """A work whose executors fail half-way, as a lost executor or a bad row would."""

    def __call__(self, rows: pl.DataFrame) -> pl.DataFrame:
        raise ValueError("executor lost")


def test_a_failing_spark_job_is_one_plain_line_and_stores_nothing(
    engine: Engine, tmp_path: Path, spark: SparkEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_world(engine, tmp_path)
    monkeypatch.setattr(batch, "DecideWork", Failing)
    with pytest.raises(BatchError, match=r"^the Spark job failed: ") as failed:
        batch.select_on(engine_=engine, batch=spark, party="RS", work_dir=tmp_path / "w")
    assert "\n" not in str(failed.value) and len(str(failed.value)) < 400
    assert stored(engine)["decisions"] == []
    assert not list((tmp_path / "w").rglob("*.parquet"))
