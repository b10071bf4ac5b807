"""``riskhub export parquet`` and ``--engine`` on the commands: files, whole declarations, errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from riskhub.batch import engines
from riskhub.batch.engines import LocalEngine
from riskhub.batch.export import export_rows
from riskhub.batch.work import JudgeWork
from riskhub.cli import app
from riskhub.declarations import service as declarations
from riskhub.declarations.models import Declaration, DeclarationItem
from riskhub.profiles.history import HISTORY_COLUMNS
from riskhub.selectivity.models import SelectivityDecision
from riskhub.synth.generator import TrafficSpec, generate
from riskhub.synth.writer import write_traffic
from tests.selectivity.test_service import HEAVY

runner = CliRunner()


@pytest.fixture
def traffic(engine: Engine, tmp_path: Path) -> Engine:
    """Seven weeks of generated traffic, so an export spans two months."""
    path = tmp_path / "traffic.csv"
    write_traffic(generate(TrafficSpec(days=50, trucks_per_day=12, start=date(2026, 4, 20))), path)
    declarations.ingest_path(engine=engine, path=path)
    return engine


def count(engine: Engine, table: type, party: str = "RS") -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).where(table.party == party)) or 0)


def test_export_writes_whole_declarations_a_file_per_month(traffic: Engine, tmp_path: Path) -> None:
    out = tmp_path / "out"
    exported = export_rows(engine_=traffic, party="RS", out=out)
    files = sorted((out / "party=RS").glob("*.parquet"))
    assert [f.name for f in files] == ["2026-04-20.parquet", "2026-05-21.parquet"]
    frame = pl.concat([pl.read_parquet(f) for f in files])
    assert frame.height == exported.rows == count(traffic, DeclarationItem)
    assert (
        frame["declaration_id"].n_unique() == exported.declarations == count(traffic, Declaration)
    )
    # A declaration never spans two files, and each row carries its history fields.
    per_file = [set(pl.read_parquet(f)["declaration_id"]) for f in files]
    assert not per_file[0] & per_file[1]
    assert set(HISTORY_COLUMNS) <= set(frame.columns)
    assert frame["trader_declarations_90d"].drop_nulls().max() > 0  # type: ignore[operator]
    assert not list(out.rglob("*.partial"))
    # The same export again replaces the files; nothing is duplicated.
    export_rows(engine_=traffic, party="RS", out=out)
    again = pl.concat([pl.read_parquet(f) for f in sorted((out / "party=RS").glob("*"))])
    assert again.height == frame.height


def test_a_half_written_file_is_never_read(traffic: Engine, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export_rows(engine_=traffic, party="RS", out=out)
    (out / "party=RS" / ".2026-06-30.parquet.partial").write_bytes(b"PAR1 cut short")
    judged = tmp_path / "judged"
    written = LocalEngine().run(JudgeWork([]), rows=out, out=judged)
    assert written == count(traffic, Declaration)


def test_the_cli_exports_selects_through_parquet_and_says_what_is_wrong(
    traffic: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    done = runner.invoke(app, ["export", "parquet", "--out", str(out), "--since", "2026-05-01",
                               "--party", "RS"])  # fmt: skip
    assert done.exit_code == 0, done.output
    written = pl.concat([pl.read_parquet(f) for f in (out / "party=RS").glob("*.parquet")])
    assert written["lodged_at"].dt.date().min() >= date(2026, 5, 1)
    assert f"{written.height:,} item rows" in done.output

    wrong = runner.invoke(app, ["export", "parquet", "--out", str(out), "--since", "2026-05-01",
                                "--party", "QQ"])  # fmt: skip
    assert wrong.exit_code == 2 and "unknown Party 'QQ'" in wrong.output
    backwards = runner.invoke(app, ["export", "parquet", "--out", str(out), "--since",
                                    "2026-05-01", "--until", "2026-04-01"])  # fmt: skip
    assert backwards.exit_code == 2 and "is not after" in backwards.output

    # Without Spark (no Java, no pyspark) the command says so and stores nothing.
    monkeypatch.setattr(engines, "spark_available", lambda: "no Java runtime: Spark needs Java 17")
    refused = runner.invoke(app, ["select", "--party", "RS", "--engine", "spark"])
    assert refused.exit_code == 1 and "no Java runtime" in refused.output
    assert count(traffic, SelectivityDecision) == 0

    draft = tmp_path / "heavy.yaml"
    draft.write_text(HEAVY)
    imported = runner.invoke(app, ["profiles", "import", str(draft), "--party", "RS", "--activate"])
    assert imported.exit_code == 0, imported.output
    local = runner.invoke(app, ["select", "--party", "RS", "--engine", "local",
                                "--work", str(tmp_path / "w")])  # fmt: skip
    assert local.exit_code == 0, local.output
    assert count(traffic, SelectivityDecision) == count(traffic, Declaration)
    assert not list((tmp_path / "w").rglob("*.parquet"))
    tested = runner.invoke(app, ["profiles", "backtest", str(draft), "--party", "RS", "--since",
                                 "2026-04-20", "--engine", "local"])  # fmt: skip
    assert tested.exit_code == 0 and "RS-HEAVY:" in tested.output, tested.output
