"""Exercise scoring, checked by hand on a small scenario in the sandbox."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine

from riskhub.declarations import service as declarations
from riskhub.training import scoring
from riskhub.training.exercises import Exercise, ExerciseError, Traffic, parse, shipped
from tests.helpers import nested

HAND = Exercise(
    code="HAND", title="Cheap shoes", scenario="Footwear declared below its price.",
    goal="Catch the undervalued footwear.", targets=["undervaluation"],
    traffic=Traffic(seed=1, start=date(2025, 1, 6), days=15, trucks_per_day=10),
    window_days=1, budget=0.5, pass_mark=50,
)  # fmt: skip
CHEAP = """\
code: ZZ-CHEAP-SHOES
title: Footwear under EUR 1,000
threat: undervaluation
criteria:
  all:
    - hs_code: {startswith: "6403"}
    - customs_value_eur: {lt: 1000}
action: {channel: yellow}
weight: 30
"""
DEAR = """\
code: ZZ-DEAR-SHOES
title: Footwear over EUR 5,000
threat: undervaluation
criteria:
  all:
    - hs_code: {startswith: "6403"}
    - customs_value_eur: {gt: 5000}
action: {channel: red}
weight: 60
"""


def shoes(reference: str, minute: int, value: str, outcome: str | None = None,
          revenue: str = "", hs: str = "640399") -> dict[str, Any]:  # fmt: skip
    body = nested(f"HAND-{reference}", n_items=1, party="ZZ", office="ZZ-TRAIN",
                  lodged_at=f"2025-01-20T08:{minute:02d}:00Z")  # fmt: skip
    item = body["items"][0]
    item.update(hs_code=hs, description="Shoes" if hs.startswith("64") else "Laptops",
                customs_value_eur=value)  # fmt: skip
    if outcome:
        item.update(known_outcome=outcome, known_revenue_eur=revenue)
    return body


@pytest.fixture
def scenario(engine: Engine) -> None:
    """Ten declarations: three undervalued pairs of shoes, one misclassified, six honest."""
    records = [
        shoes("D1", 0, "500", "undervaluation", "300"),
        shoes("D2", 10, "600", "undervaluation", "200"),
        shoes("D3", 50, "9000", "undervaluation", "900"),  # dear, yet undervalued
        shoes("D4", 20, "700", "misclassification", "50"),
        shoes("D5", 30, "800"),
        shoes("D6", 40, "900"),
        *(shoes(f"D{n}", n, "5000", hs="847130") for n in range(7, 11)),
    ]
    done = declarations.ingest_records(engine=engine, records=records,
                                       submitted_by_party="ZZ", body_sha256="hand")  # fmt: skip
    assert done.stored == 10, done


def test_one_profile_within_a_budget_of_half(engine: Engine, scenario: None) -> None:
    got = scoring.attempt(engine=engine, exercise=HAND, texts=[CHEAP])
    # CHEAP fires on D1, D2, D4, D5, D6; the budget (5 of 10) controls all five.
    assert (got.declarations, got.budget, got.matched, got.controlled) == (10, 5, 5, 5)
    # Three of them hid something (D1, D2, D4): precision 3/5. Of the three undervalued
    # (D1, D2, D3) two were controlled: recall 2/3. F1 = 2 * 0.6 * 2/3 / (0.6 + 2/3) = 63.2%.
    assert (got.found, got.planted, got.caught) == (3, 3, 2)
    assert (got.precision, got.recall, got.score, got.passed) == (0.6, 0.6667, 63.2, True)
    assert (got.revenue_planted_eur, got.revenue_caught_eur) == (1400.0, 500.0)
    assert got.control_hours == 5 * 0.75  # yellow: documentary checks
    assert got.missed == [{"reference": "D3", "office": "ZZ-TRAIN", "kinds": ["undervaluation"],
                           "revenue_eur": 900.0, "why": "no profile matched it"}]  # fmt: skip


def test_a_tight_budget_and_a_second_profile(engine: Engine, scenario: None) -> None:
    tight = HAND.model_copy(update={"budget": 0.3})
    got = scoring.attempt(engine=engine, exercise=tight, texts=[CHEAP])
    # Three may be controlled: the first three lodged of equal weight, D1, D2, D4.
    assert (got.budget, got.controlled, got.found, got.caught) == (3, 3, 3, 2)
    assert (got.precision, got.recall, got.score) == (1.0, 0.6667, 80.0)
    both = scoring.attempt(engine=engine, exercise=tight, texts=[CHEAP, DEAR])
    # DEAR (weight 60) puts D3 first; then D1 and D2. All three undervalued are caught.
    assert (both.controlled, both.found, both.caught, both.score) == (3, 3, 3, 100.0)
    assert both.control_hours == 2.0 + 0.75 + 0.75
    assert both.missed == []
    # A match cut by the budget is named as such.
    cut = HAND.model_copy(update={"budget": 0.1})
    one = scoring.attempt(engine=engine, exercise=cut, texts=[CHEAP])
    assert [m["reference"] for m in one.missed] == ["D3", "D2"]  # by revenue
    assert one.missed[1]["why"].startswith("a profile matched it, but the inspection budget")


def test_a_broken_profile_or_an_unseeded_exercise_says_why(engine: Engine) -> None:
    with pytest.raises(ValueError, match="holds no traffic of HAND"):
        scoring.attempt(engine=engine, exercise=HAND, texts=[CHEAP])
    with pytest.raises(ValueError, match="criteria"):
        scoring.attempt(engine=engine, exercise=HAND, texts=["code: ZZ-X\ntitle: t\n"])


def test_exercises_are_checked_where_they_are_written() -> None:
    assert set(shipped()) == {"UNDERVALUATION", "MASS"}
    with pytest.raises(ExerciseError, match=r"line 2, column 9 \(budget\)"):
        parse("code: X1\nbudget: 2\n")
