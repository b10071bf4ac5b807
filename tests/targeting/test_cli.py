"""``riskhub model fit`` and ``score`` on files, as the benchmark and outside checks call them."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from riskhub.cli import app

runner = CliRunner()
KCS = Path(__file__).resolve().parents[3] / "shared" / "data" / "customs-declaration-datasets"


def test_fit_and_score_a_kcs_sample(tmp_path: Path) -> None:
    train = pl.read_csv(KCS / "df_syn_train_eng.csv", infer_schema_length=0)
    small, later = tmp_path / "train.csv", tmp_path / "later.csv"
    train.head(4000).write_csv(small)
    train.slice(30000, 1500).drop("Fraud", "Critical Fraud").write_csv(later)
    out = tmp_path / "model"
    fitted = runner.invoke(app, ["model", "fit", "--train", str(small), "--valid", str(small),
                                 "--format", "kcs", "--out", str(out)])  # fmt: skip
    assert fitted.exit_code == 0, fitted.output
    assert (out / "fraud.txt").exists() and (out / "model.json").exists()
    scores = tmp_path / "scores.csv"
    scored = runner.invoke(app, ["model", "score", "--model", str(out), "--input", str(later),
                                 "--format", "kcs", "--out", str(scores)])  # fmt: skip
    assert scored.exit_code == 0, scored.output
    written = pl.read_csv(scores, schema_overrides={"Declaration ID": pl.String})
    assert written.columns == ["Declaration ID", "score", "expected_revenue"]
    assert written.height == 1500 and written["score"].is_between(0, 1e9).all()
    assert set(written["Declaration ID"]) == set(train.slice(30000, 1500)["Declaration ID"])


def test_bad_files_say_why(tmp_path: Path) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_text("Declaration ID,Date\n1,2020-01-01\n")
    done = runner.invoke(app, ["model", "fit", "--train", str(broken), "--format", "kcs",
                               "--out", str(tmp_path / "m")])  # fmt: skip
    assert done.exit_code == 2 and "missing column 'Office ID'" in " ".join(done.output.split())
    wrong = runner.invoke(app, ["model", "fit", "--train", str(broken), "--format", "xml",
                                "--out", str(tmp_path / "m")])  # fmt: skip
    assert wrong.exit_code == 2 and "format is one of kcs, native" in " ".join(wrong.output.split())
    missing = runner.invoke(app, ["model", "score", "--model", str(tmp_path), "--input",
                                  str(broken), "--out", str(tmp_path / "s.csv")])  # fmt: skip
    assert missing.exit_code == 2 and "cannot load the model" in " ".join(missing.output.split())
