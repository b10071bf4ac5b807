"""``riskhub training``: exercises from the command line, and records."""

from __future__ import annotations

from pathlib import Path

from click.testing import Result
from sqlalchemy import Engine
from typer.testing import CliRunner

from riskhub.cli import app
from riskhub.training import scoring
from riskhub.training.exercises import shipped
from tests.web.test_training_pages import MASS

runner = CliRunner()


def said(result: Result) -> str:
    return " ".join(result.output.split())


def test_start_submit_and_record(engine: Engine, tmp_path: Path) -> None:
    profile = tmp_path / "heavy.yaml"
    profile.write_text(MASS, encoding="utf-8")
    early = runner.invoke(app, ["training", "exercise", "submit", "MASS", str(profile)])
    assert early.exit_code == 1 and "holds no traffic of MASS: start it first" in said(early)
    started = runner.invoke(app, ["training", "exercise", "start", "MASS"])
    assert started.exit_code == 0 and "declarations in the sandbox (ZZ)" in said(started)
    done = runner.invoke(app, ["training", "exercise", "submit", "MASS", str(profile)])
    assert done.exit_code == 0, done.output
    direct = scoring.attempt(engine=engine, exercise=shipped()["MASS"], texts=[MASS])
    assert f"MASS: score {direct.score} (passed)" in said(done)
    assert "Missed" in said(done) and direct.missed[0]["reference"] in said(done)
    listed = runner.invoke(app, ["training", "exercise", "list"])
    assert "MASS" in said(listed) and "not started" in said(listed)  # UNDERVALUATION is not
    broken = tmp_path / "broken.yaml"
    broken.write_text("code: ZZ-X\n", encoding="utf-8")
    assert "a profile cannot be read" in said(
        runner.invoke(app, ["training", "exercise", "submit", "MASS", str(broken)]))  # fmt: skip
    assert runner.invoke(app, ["training", "exercise", "start", "NOPE"]).exit_code == 2

    recorded = runner.invoke(app, ["training", "record", "Ana Petrović", "--course",
                                   "Selectivity basics", "--party", "RS", "--on", "2026-10-05"])  # fmt: skip
    assert recorded.exit_code == 0 and "Officials trained: 1 (M6 target 14+)" in said(recorded)
    for args, why in ((["--party", "AT", "--on", "2026-10-05"], "'AT' is not a CEFTA Party"),
                      (["--party", "RS", "--on", "5/10/2026"], "is not a date"),
                      (["--party", "RS", "--on", "2026-10-05", "--agency", "police"],
                       "agency is one of")):  # fmt: skip
        failed = runner.invoke(app, ["training", "record", "X", "--course", "C", *args])
        assert failed.exit_code in (1, 2) and why in said(failed), args
