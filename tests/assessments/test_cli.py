"""``riskhub assess``: answers from a file (problems by line), submission, exports."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pypdfium2
from click.testing import Result
from sqlalchemy import Engine
from typer.testing import CliRunner

from riskhub.cli import app
from tests.assessments.test_api import answers

runner = CliRunner()


def said(result: Result) -> str:
    """What a command printed, as one line (the console wraps long lines)."""
    return " ".join(result.output.split())


def answers_file(path: Path, picks: dict[str, object], comment: str = "") -> Path:
    lines = ["answers:"] + [f"  {k}: {json.dumps(v)}" for k, v in picks.items()]
    if comment:
        lines += ["comments:", f"  policy: {json.dumps(comment)}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_answer_submit_and_export(engine: Engine, tmp_path: Path) -> None:
    bad = answers_file(tmp_path / "bad.yaml", {"policy": "adopted", "unit": "a lot"})
    refused = runner.invoke(app, ["assess", "answer", "RM-GAP", str(bad), "--party", "RS",
                                  "--period", "2026-H2"])  # fmt: skip
    assert refused.exit_code == 1
    assert "bad.yaml:3 unit: 'a lot' is not one of the answers" in said(refused)

    part = answers_file(tmp_path / "part.yaml", {"policy": "adopted"})
    early = runner.invoke(app, ["assess", "answer", "RM-GAP", str(part), "--party", "RS",
                                "--period", "2026-H2", "--submit"])  # fmt: skip
    assert early.exit_code == 1 and "9 questions are not answered yet" in said(early)
    assert "The answers are saved as a draft; they are not submitted." in said(early)
    whole = answers_file(tmp_path / "rs.yaml", answers(2), comment="Decision 12/2025")
    done = runner.invoke(app, ["assess", "answer", "RM-GAP", str(whole), "--party", "RS",
                               "--period", "2026-H2", "--submit"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "RS RM-GAP 2026-H2: submitted, 66.7% overall (established)" in said(done)
    mk = answers_file(tmp_path / "mk.yaml", answers(0))
    assert runner.invoke(app, ["assess", "answer", "RM-GAP", str(mk), "--party", "MK",
                               "--period", "2026-H2", "--submit"]).exit_code == 0  # fmt: skip

    listed = runner.invoke(app, ["assess", "list"])
    assert listed.exit_code == 0 and "RM-GAP" in said(listed) and "STAFFING" in said(listed)
    report = tmp_path / "gaps.html"
    written = runner.invoke(app, ["assess", "export", "RM-GAP", "--period", "2026-H2",
                                  "--out", str(report)])  # fmt: skip
    assert written.exit_code == 0 and "Gap report of 2 Parties" in written.output
    page = report.read_text()
    assert "RS: 66.7% overall" in page and "Decision 12/2025" in page
    pdf = tmp_path / "gaps.pdf"
    printed = runner.invoke(app, ["assess", "export", "RM-GAP", "--period", "2026-H2",
                                  "--party", "RS", "--out", str(pdf)])  # fmt: skip
    assert printed.exit_code == 0, printed.output
    text = " ".join(pypdfium2.PdfDocument(pdf)[0].get_textpage().get_text_range().split())
    assert "gap report 2026-H2" in text and "RS: 66.7% overall" in text and "MK:" not in text
    scores = tmp_path / "scores.csv"
    assert runner.invoke(app, ["assess", "export", "RM-GAP", "--out", str(scores)]).exit_code == 0
    rows = list(csv.DictReader(scores.open()))
    assert [(r["party"], r["overall"], r["context"]) for r in rows] == [
        ("MK", "0.0", "0.0"), ("RS", "66.7", "66.7")]  # fmt: skip

    for args, why in (
        (["export", "RM-GAP", "--out", str(tmp_path / "x.html")], "a gap report needs --period"),
        (["export", "RM-GAP", "--out", str(tmp_path / "x.txt")], "write .html, .pdf, .json"),
        (["export", "NOPE", "--out", str(tmp_path / "x.json")], "no questionnaire 'NOPE'"),
        (["answer", "RM-GAP", str(whole), "--party", "AT", "--period", "2026-H2"],
         "'AT' is not a CEFTA Party"),
    ):  # fmt: skip
        failed = runner.invoke(app, ["assess", *args])
        assert failed.exit_code in (1, 2) and why in said(failed), args
