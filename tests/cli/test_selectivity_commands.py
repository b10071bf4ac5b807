"""``riskhub profiles``, ``lists``, ``offices`` and ``select`` end to end, in-process."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from riskhub.cli import app
from riskhub.selectivity.models import SelectivityDecision
from tests.helpers import rows, write_csv

runner = CliRunner()

PROFILE = """\
code: RS-WATCHED
title: Watched importers
threat: other
criteria:
  importer: {in_list: watch}
action: {channel: yellow, checklist: [check the invoice]}
weight: 30
"""


def test_profiles_lists_offices_and_select(engine: Engine, tmp_path: Path) -> None:
    watch = tmp_path / "watch.txt"
    watch.write_text("RS100000001   # seen twice with false invoices\n\n")
    saved = runner.invoke(
        app, ["lists", "save", "watch", str(watch), "--party", "RS", "--kind", "trader"]
    )
    assert saved.exit_code == 0 and "1 entries, version 1" in saved.output, saved.output
    assert "watch" in runner.invoke(app, ["lists", "list", "--party", "RS"]).output

    draft = tmp_path / "p.yaml"
    draft.write_text(PROFILE)
    assert runner.invoke(app, ["profiles", "validate", str(draft)]).exit_code == 0
    broken = tmp_path / "broken.yaml"
    broken.write_text(PROFILE.replace("in_list: watch", "in_list: unknown"))
    # Away from the hub a list name cannot be checked; against a Party's lists it is.
    assert runner.invoke(app, ["profiles", "validate", str(broken)]).exit_code == 0
    checked = runner.invoke(app, ["profiles", "validate", str(broken), "--party", "RS"])
    assert checked.exit_code == 1 and "line 5" in checked.output
    rejected = runner.invoke(app, ["profiles", "import", str(broken), "--party", "RS"])
    assert rejected.exit_code == 3 and "no named list 'unknown'" in rejected.output

    imported = runner.invoke(app, ["profiles", "import", str(draft), "--party", "RS"])
    assert imported.exit_code == 0 and "created" in imported.output, imported.output
    assert (
        runner.invoke(app, ["profiles", "activate", "RS-WATCHED", "--party", "RS"]).exit_code == 0
    )
    missing = runner.invoke(app, ["profiles", "activate", "NOPE-1", "--party", "RS"])
    assert missing.exit_code == 1

    assert (
        runner.invoke(
            app,
            [
                "offices",
                "set",
                "RS-PRE",
                "--party",
                "RS",
                "--random",
                "0",
                "--red",
                "0",
                "--yellow",
                "0",
            ],
        ).exit_code
        == 0
    )
    assert runner.invoke(app, ["offices", "set", "MK-TAB", "--party", "RS"]).exit_code == 1
    assert "RS-PRE" in runner.invoke(app, ["offices", "show", "--party", "RS"]).output

    data = write_csv(tmp_path / "d.csv", rows("A1") + rows("A2", importer="RS200000002"))
    assert runner.invoke(app, ["ingest", str(data)]).exit_code == 0
    backtest = runner.invoke(
        app, ["profiles", "backtest", str(draft), "--party", "RS", "--since", "2026-01-01"]
    )
    assert backtest.exit_code == 0 and "1 of 2 declarations hit" in backtest.output, backtest.output
    chosen = runner.invoke(app, ["select", "--party", "RS"])
    assert chosen.exit_code == 0 and "2 declarations decided" in chosen.output, chosen.output
    assert "2 declarations decided" not in runner.invoke(app, ["select", "--party", "RS"]).output
    with engine.connect() as conn:
        assert conn.execute(select(func.count(SelectivityDecision.id))).scalar_one() == 2
        channels = conn.execute(select(SelectivityDecision.channel)).scalars().all()
    assert sorted(channels) == ["green", "yellow"]
