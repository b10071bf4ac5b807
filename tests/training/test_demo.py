"""The capacity-building demo step: assessments, a cohort's attempt and records, once."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from riskhub.access.roles import Role
from riskhub.training import demo
from riskhub.training.models import Attempt, Cohort, TrainingRecord
from tests.conftest import MakeUser


def test_the_demo_step_runs_once(engine: Engine, make_user: MakeUser) -> None:
    make_user("RS", Role.PARTY_ADMIN, name="demo-admin")
    make_user("RS", Role.OFFICER, name="demo-officer", offices=["RS-PRE"])
    first = demo.show(engine=engine, today=date(2026, 11, 28))
    # RS picks the third answer of every RM-GAP question (2 of 3 points): 66.7%.
    assert "  RS gap assessment 2026-H2: 66.7% (established)" in first
    assert "  MK gap assessment 2026-H2: 33.3% (developing)" in first
    assert "  S3: 43% (target 100%)" in first  # three of seven CEFTA Parties
    assert "  S4: 14% (target 100%)" in first
    assert "  M6: 6 (target 14)" in first  # five courses and the officer's passed exercise
    assert any(line.startswith("  demo-officer scored") and "(passed)" in line for line in first)
    again = demo.show(engine=engine, today=date(2026, 11, 28))
    assert "made by an earlier run" in again[1] and again[2:] == first[1:]
    later = demo.show(engine=engine, today=date(2027, 2, 1))  # the next half-year
    assert "  RS gap assessment 2027-H1: 66.7% (established)" in later
    assert "  M6: 6 (target 14)" in later
    with Session(engine) as session:
        assert session.scalar(select(func.count(Attempt.id))) == 1
        assert session.scalar(select(func.count(TrainingRecord.id))) == 6
        assert session.scalar(select(func.count(Cohort.id))) == 1
