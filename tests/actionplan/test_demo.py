"""The tracker's demo step: reports in each Party's name, two reviews, nothing added twice."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from riskhub.actionplan import demo, service
from riskhub.actionplan.models import ProgressReport


def test_the_demo_reports_progress_between_two_reviews_once(engine: Engine) -> None:
    first = demo.show(engine=engine, today=date(2026, 11, 28))
    # S9 is reported by the seven Parties: RS 100, MK 70, AL 40 → 210 / 7 = 30%.
    assert "  S9     0% →  30%  (reported by AL, MK, RS)" in first
    assert "from 6 administrations and the Secretariat; reviews 2026-H1 and 2026-H2" in first[1]
    again = demo.show(engine=engine, today=date(2026, 11, 28))
    assert "recorded by an earlier run" in again[1] and again[2:] == first[2:]
    with Session(engine) as session:
        assert session.scalar(select(func.count(ProgressReport.id))) == len(demo.REPORTS)
        assert [s.period for s in service.snapshots(session=session)] == ["2026-H1", "2026-H2"]


def test_the_previous_half_year() -> None:
    assert demo.previous_period("2026-H2") == "2026-H1"
    assert demo.previous_period("2026-H1") == "2025-H2"
