"""``riskhub risks`` and ``riskhub risks actions``, and the demo's risk register part."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from riskhub.cli import app
from riskhub.db.tenancy import acting_for
from riskhub.governance.joint_actions.models import JointAction
from riskhub.governance.risks import demo
from riskhub.governance.risks.models import Risk

runner = CliRunner()
TODAY = date.today()


def run(*args: str) -> str:
    result = runner.invoke(app, ["risks", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_register_from_the_command_line(engine: Engine, tmp_path: Path) -> None:
    indicators = tmp_path / "indicators.yaml"
    indicators.write_text("hs_code: {startswith: '3004'}\n")
    common = ["--title", "Falsified medicines", "--category", "health_crisis", "--owner", "RMWG"]
    assert "recorded XS-R-001" in run("add", "--party", "XS", *common, "--likelihood", "5",
                                      "--impact", "4", "--indicators", str(indicators))  # fmt: skip
    assert "recorded RS-R-001" in run("add", "--party", "RS", "--title", "Cash couriers",
                                      "--category", "cash", "--likelihood", "2", "--impact", "2",
                                      "--owner", "Airport customs")  # fmt: skip
    listed = run("list", "--party", "RS")
    assert "XS-R-001" in listed and "RS-R-001" in listed and "critical" in listed
    assert "MK-R" not in run("list", "--party", "MK") and "XS-R-001" in run("list", "--party", "MK")
    grid = run("heatmap", "--party", "RS")
    assert "Open risks of RS + XS" in grid and "low 1, medium 0, high 0, critical 1" in grid
    assert "Per Party (counts only): AL 0, BA 0, MD 0, ME 0, MK 0, RS 1" in run(
        "heatmap", "--party", "XS"
    )
    with engine.begin() as conn:
        conn.execute(Risk.__table__.update().values(review_on=TODAY - timedelta(days=3)))
    assert "overdue" in run("overdue", "--party", "RS")
    with acting_for("XS"), Session(engine) as session:
        wide = session.query(Risk).filter_by(party="XS").one().id
    made = run("candidate", str(wide), "--party", "RS", "--code", "RS-HC-001")
    assert "draft profile RS/RS-HC-001" in made
    again = runner.invoke(app, ["risks", "candidate", str(wide), "--party", "RS",
                                "--code", "RS-HC-001"])  # fmt: skip
    assert again.exit_code == 1 and "already has a profile" in again.output
    assert "profile" not in run("due", "--party", "RS")  # a draft is not due


def test_joint_actions_from_the_command_line(engine: Engine) -> None:
    start, end = (TODAY - timedelta(days=1)).isoformat(), (TODAY + timedelta(days=9)).isoformat()
    planned = run("actions", "plan", "--party", "RS", "--title", "Operation X", "--goal", "Cigs",
                  "--from", start, "--to", end, "--participant", "MK", "--participant", "AL")  # fmt: skip
    assert "planned" in planned
    with Session(engine) as session:
        action = str(session.query(JointAction).one().id)
    early = runner.invoke(app, ["risks", "actions", "report", action, "--party", "MK",
                                "--controls", "5", "--detections", "1"])  # fmt: skip
    assert early.exit_code == 1 and "not validated" in early.output
    assert "running" in run("actions", "validate", action)
    for party in ("RS", "MK", "AL"):
        assert "reported" in run("actions", "report", action, "--party", party, "--controls", "10",
                                 "--detections", "1", "--seized-value", "100")  # fmt: skip
    assert "amended" in run("actions", "report", action, "--party", "AL", "--controls", "20",
                            "--detections", "2")  # fmt: skip
    outsider = runner.invoke(app, ["risks", "actions", "report", action, "--party", "BA",
                                   "--controls", "5", "--detections", "1"])  # fmt: skip
    assert outsider.exit_code == 1 and "sees no joint action" in outsider.output
    summary = run("actions", "summary", action)
    assert "total: 40 controls, 4 detections (10.0%), EUR 200.00" in summary
    assert "AL: 20 controls, 2 detections, EUR 0.00 (amended)" in summary
    assert "Operation X" in run("actions", "list")
    assert "closed" in run("actions", "close", action, "--summary", "Done")


def test_the_demo_records_risks_a_candidate_and_a_joint_action(engine: Engine) -> None:
    since, until = datetime(2026, 6, 1), datetime(2026, 7, 1)
    lines = demo.show(engine=engine, since=since, until=until)
    text = "\n".join(lines)
    assert "XS-R-002 (emerging)" in text
    assert "RS generated draft profile RS-HC-002 from XS-R-002's indicators" in text
    assert "Open risks of RS + XS" in text and "Open risks of XS" in text
    assert "Per Party (counts only): AL 1, BA 0, MD 0, ME 0, MK 1, RS 1" in text
    for party in ("RS", "MK", "AL"):
        assert f"  {party}: " in text
    # No traffic here: each participant reports the (zero) controls its profile made.
    assert "total: 0 controls, 0 detections" in text
    assert "not reported: none" in text
    again = demo.show(engine=engine, since=since, until=until)
    assert "recorded by an earlier run" in again[-1]
