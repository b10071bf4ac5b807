"""The Action Plan is read from the Strategy's own text, and what ships is what the text says."""

from __future__ import annotations

from pathlib import Path

import pytest

from riskhub.actionplan import activities

STRATEGY = (
    Path(__file__).resolve().parents[3]
    / "shared" / "strategy" / "cefta-customs-risk-management-strategy-2025-2028.txt"
)  # fmt: skip
CODES = (
    [f"S{i}" for i in range(1, 15)]
    + [f"M{i}" for i in range(1, 10)]
    + [f"L{i}" for i in range(1, 8)]
)


def test_the_shipped_plan_has_the_thirty_activities_in_order() -> None:
    plan = activities.load()
    assert [a.code for a in plan] == CODES
    by_code = {a.code: a for a in plan}
    assert by_code["L7"].kpi == "Priority passage granted to 300 AEOs."
    assert by_code["S6"].term == "short" and by_code["S6"].quarters[0] == "2025Q1"
    assert by_code["M1"].quarters == tuple(f"{y}Q{q}" for y in (2026, 2027) for q in (1, 2, 3, 4))
    assert "Customs Administrations" in by_code["S11"].entities


@pytest.mark.skipif(not STRATEGY.exists(), reason="the Strategy's text is not beside the checkout")
def test_what_ships_is_what_the_strategy_says() -> None:
    assert tuple(activities.parse(STRATEGY.read_text(encoding="utf-8"))) == activities.load()


def test_a_table_row_is_read_cell_by_cell() -> None:
    text = (
        "intro\nACTION PLAN\n\nShort-Term Actions (2025-2026) – Laying the Foundation\t\t\n"
        "#\tActivity\tPillar\tAlignment\tParticipating Entities\tKPIs\n"
        "S1\tDo it.\tA, B\tCRM 2.0\tRMWG, Customs Administrations\tDone.\n"
        "Implementation Timeline\nS9\tnot an activity row\n"
    )
    (row,) = activities.parse(text)
    assert (row.code, row.activity, row.pillars, row.entities, row.kpi) == (
        "S1", "Do it.", ("A", "B"), ("RMWG", "Customs Administrations"), "Done.",
    )  # fmt: skip
    assert len(row.quarters) == 8


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("no plan here", "no 'ACTION PLAN' heading"),
        ("ACTION PLAN\nS1\tno term yet\ta\tb\tc\td\n", "before any term heading"),
        ("ACTION PLAN\nLong-Term Actions (2027-2028) – X\nL1\ttoo\tfew\n", "has 3 columns"),
        ("ACTION PLAN\nLong-Term Actions (2027-2028) – X\n", "no activities"),
    ],
)
def test_a_text_that_is_not_the_plan_says_where(text: str, words: str) -> None:
    with pytest.raises(activities.ActionPlanError, match=words):
        activities.parse(text)
