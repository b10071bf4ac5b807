"""``riskhub export parquet`` and ``--engine`` on the commands: files, whole declarations, errors."""

from __future__ import annotations

import json
import os
import stat
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from riskhub.batch import engines, export
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
    again = pl.concat([pl.read_parquet(f) for f in sorted((out / "party=RS").glob("*.parquet"))])
    assert again.height == frame.height


def test_a_crash_mid_export_leaves_nothing_that_looks_whole(
    traffic: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    renamed: list[str] = []

    def crash_on_the_second_file(src: Any, dst: Any) -> None:
        if renamed:
            raise OSError("killed")
        renamed.append(str(dst))
        os.rename(src, dst)

    monkeypatch.setattr(export.os, "replace", crash_on_the_second_file)
    with pytest.raises(OSError, match="killed"):
        export_rows(engine_=traffic, party="RS", out=out)
    folder = out / "party=RS"
    # The first month is whole, the second only under its hidden name, and no summary says done.
    assert [f.name for f in folder.glob("*.parquet")] == ["2026-04-20.parquet"]
    assert not (folder / export.DONE).exists()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "2026-04-20.parquet").stat().st_mode) == 0o600
    first = pl.read_parquet(folder / "2026-04-20.parquet")["declaration_id"].n_unique()
    assert LocalEngine().run(JudgeWork([]), rows=out, out=tmp_path / "judged") == first


def test_exporting_again_replaces_the_partys_files(traffic: Engine, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export_rows(engine_=traffic, party="RS", out=out)
    later = export_rows(engine_=traffic, party="RS", out=out, since=datetime(2026, 5, 1))
    frame = pl.read_parquet(out / "party=RS" / "*.parquet")
    assert frame.height == later.rows
    assert frame.select("declaration_id", "item_no").is_unique().all()
    done = json.loads((out / "party=RS" / export.DONE).read_text())
    assert done["declarations"] == later.declarations and done["since"].startswith("2026-05-01")


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
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    unwritable = runner.invoke(app, ["export", "parquet", "--out", str(blocked / "x"),
                                     "--since", "2026-05-01", "--party", "RS"])  # fmt: skip
    assert unwritable.exit_code == 1 and "cannot write RS's export" in unwritable.output
    backwards = runner.invoke(app, ["export", "parquet", "--out", str(out), "--since",
                                    "2026-05-01", "--until", "2026-04-01"])  # fmt: skip
    assert backwards.exit_code == 2 and "is not after" in backwards.output

    for command in (["select", "--party", "QQ", "--engine", "local"],
                    ["profiles", "backtest", "x.yaml", "--party", "QQ", "--since", "2026-05-01"]):  # fmt: skip
        unknown = runner.invoke(app, command)
        assert unknown.exit_code == 2 and "unknown Party 'QQ'" in unknown.output, command
    reversed_window = runner.invoke(app, ["profiles", "backtest", "x.yaml", "--party", "RS",
                                          "--since", "2026-05-01", "--until", "2026-04-01"])  # fmt: skip
    assert reversed_window.exit_code == 2 and "is not after" in reversed_window.output

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
