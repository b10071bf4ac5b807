"""The riskhub command line, run in-process against the test database."""

from __future__ import annotations

import csv
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from riskhub.audit.models import AuditRecord
from riskhub.cli import app
from riskhub.cli.ingest import EXIT_SOME_REJECTED
from riskhub.settings import get_settings
from tests.helpers import rows, write_csv

runner = CliRunner()


def test_synth_then_ingest_then_stats(engine: Engine, tmp_path: Path) -> None:
    out = tmp_path / "t.jsonl"
    result = runner.invoke(app, ["synth", "--days", "2", "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "declarations" in result.output
    loaded = runner.invoke(app, ["ingest", "--json", str(out)])
    assert loaded.exit_code == 0, loaded.output
    summary = orjson.loads(loaded.stdout.strip().splitlines()[-1])
    assert summary["stored"] > 0 and summary["rejected_rows"] == 0
    stats = orjson.loads(runner.invoke(app, ["stats", "--json"]).stdout)
    assert stats["declarations"] == summary["stored"]
    assert stats["items"] == summary["items"]
    with Session(engine) as session:
        (record,) = session.scalars(select(AuditRecord)).all()
    assert (record.party, record.actor, record.action, record.object) == (
        "XH", "cli", "declarations.ingest", f"run:{summary['run_id']}",
    )  # fmt: skip


def test_bad_rows_exit_3_and_are_written_to_the_rejects_file(
    engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "mixed.csv", rows("OK") + rows("BAD", n_items=1, origin_country="XX")
    )
    rejects = tmp_path / "rejects.csv"
    result = runner.invoke(app, ["ingest", str(path), "--rejects", str(rejects)])
    assert result.exit_code == EXIT_SOME_REJECTED
    assert "mixed.csv line 4, field origin_country: unknown country code 'XX'" in result.output
    with rejects.open() as fh:
        (row,) = list(csv.DictReader(fh))
    assert (row["location"], row["field"], row["reference"]) == (
        "mixed.csv line 4",
        "origin_country",
        "BAD",
    )


def test_unknown_format_is_a_usage_error(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", rows("R1"))
    result = runner.invoke(app, ["ingest", "--format", "xml", str(path)])
    assert result.exit_code == 2
    assert "Unknown format 'xml'" in result.output


def test_ingest_refuses_an_unmigrated_database(
    settings_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RISKHUB_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    monkeypatch.delenv("RISKHUB_ADMIN_DATABASE_URL")
    get_settings.cache_clear()
    path = write_csv(tmp_path / "a.csv", rows("R1"))
    result = runner.invoke(app, ["ingest", str(path)])
    assert result.exit_code == 1
    assert "riskhub db upgrade" in result.output


def test_demo_runs_end_to_end_on_a_fresh_sqlite_file(
    settings_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RISKHUB_DATABASE_URL")
    monkeypatch.delenv("RISKHUB_ADMIN_DATABASE_URL")
    monkeypatch.setenv("RISKHUB_DATA_DIR", str(tmp_path / "demo-var"))
    get_settings.cache_clear()
    result = runner.invoke(app, ["demo", "--days", "3", "--trucks-per-day", "50"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "demo-var" / "riskhub.sqlite3").exists()
    assert "Declarations by office" in result.output
    assert "riskhub serve" in result.output
    assert "KPIs by channel, all Parties" in result.output
    assert "Random baseline and detection: random sample" in result.output
    assert "refused" not in result.output
    # Governance and registries: a RIF through to a common profile used by three Parties,
    # the risk register, and LPCO checks with a drawdown.
    flat = " ".join(result.output.split())
    assert "From a RIF to a common profile (CEFTA-RS-RIF-" in flat
    assert (
        "BA │ declined locally" in flat and "at work: feedback from the Parties' controls" in flat
    )
    assert "Risk register (RMWG)" in flat and "Operation Corridor X" in flat
    assert "PHY-RS-DEMO-APPLES: 800 of 1,000 kg used" in flat
    assert "Action Plan tracker (S5)" in flat and "S9 0% → 30% (reported by AL, MK, RS)" in flat
    assert "http://127.0.0.1:8000/ and sign in" in flat
    assert "14. Capacity building (S3, S4, S12, M6)" in flat and "S3: 43% (target 100%)" in flat
    # A second run adds nothing and fails on nothing (release times, inspections, decisions).
    rerun = runner.invoke(app, ["demo", "--days", "3", "--trucks-per-day", "50"])
    assert rerun.exit_code == 0, rerun.output
    assert "Officers at work" in rerun.output
    assert (
        "(done by an earlier run)" in rerun.output and "recorded by an earlier run" in rerun.output
    )
    assert " 0 inspection results and 0 declarations" in " ".join(rerun.output.split())
    assert "progress reports and reviews recorded by an earlier run" in rerun.output
    assert "assessments, cohort and records made by an earlier run" in rerun.output
    again = runner.invoke(app, ["stats", "--json"])
    assert orjson.loads(again.stdout)["declarations"] > 0
