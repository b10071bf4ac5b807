"""``riskhub actionplan show`` and ``seed``, in-process."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from riskhub.actionplan import activities
from riskhub.cli import app
from tests.actionplan.test_activities import STRATEGY

runner = CliRunner()


def test_show_lists_every_activity_with_the_measured_kpis(engine: Engine) -> None:
    shown = runner.invoke(app, ["actionplan", "show", "--json", "--on", "2026-06-15"])
    assert shown.exit_code == 0, shown.output
    rows = orjson.loads(shown.stdout)
    assert [r["code"] for r in rows] == [a.code for a in activities.load()]
    measured = {r["code"]: r["measured"] for r in rows if r["measured"]}
    assert sorted(measured) == ["L4", "L7", "M1", "M5", "M6", "S10", "S11", "S3", "S4", "S6", "S9"]
    assert measured["L7"] == {"code": "L7", "value": 0, "target": 300, "unit": "count",
                              "how": measured["L7"]["how"], "met": False}  # fmt: skip


@pytest.mark.skipif(not STRATEGY.exists(), reason="the Strategy's text is not beside the checkout")
def test_seed_writes_the_plan_from_the_strategy(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    done = runner.invoke(app, ["actionplan", "seed", str(STRATEGY), "--out", str(out)])
    assert done.exit_code == 0 and "Wrote 30 activities" in done.output
    shipped = Path(activities.__file__).parent / "data" / activities.SEED
    assert json.loads(out.read_text()) == json.loads(shipped.read_text())
    bad = tmp_path / "not-the-plan.txt"
    bad.write_text("no plan\n")
    refused = runner.invoke(app, ["actionplan", "seed", str(bad), "--out", str(out)])
    assert refused.exit_code == 1 and "ACTION PLAN" in refused.output


def test_reviews_are_taken_once_and_compared(engine: Engine) -> None:
    assert runner.invoke(app, ["actionplan", "review", "2026-H1"]).exit_code == 0
    again = runner.invoke(app, ["actionplan", "review", "2026-H1"])
    assert again.exit_code == 1 and "already taken" in again.output
    assert "written like 2026-H2" in runner.invoke(app, ["actionplan", "review", "H1"]).output
    assert runner.invoke(app, ["actionplan", "review", "2026-H2"]).exit_code == 0
    shown = runner.invoke(app, ["actionplan", "compare", "2026-H1", "2026-H2"])
    assert shown.exit_code == 0 and "S14" in shown.output and "+0" in shown.output
    missing = runner.invoke(app, ["actionplan", "compare", "2025-H2", "2026-H2"])
    assert missing.exit_code == 1 and "no review taken for 2025-H2" in missing.output
