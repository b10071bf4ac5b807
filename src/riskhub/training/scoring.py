"""A trainee's profiles run over an exercise's traffic, within its budget, scored against the
planted truth.

The profiles are compiled and evaluated as the backtest does (``profiles.backtest``)
over the exercise's declarations in its window. The declarations they fire on
are sent to control, heaviest profile weight first, up to the budget (a share of
the declarations); control time is counted by channel. Precision is the share of
the controlled declarations that hid any non-compliance; recall is the share of
the planted cases of the exercise's target kinds that were controlled. The score
is their harmonic mean (F1) in percent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from riskhub.db.tenancy import acting_for
from riskhub.declarations.models import Declaration
from riskhub.profiles.backtest import compile_draft, judged
from riskhub.profiles.compiled import CompiledProfile
from riskhub.reference.parties import SANDBOX_PARTY
from riskhub.training.exercises import Exercise

# Hours a consignment waits at the border for each kind of control (the TRS cost of
# a selection); post-clearance (blue) and green cost the trader no time at the border.
CONTROL_HOURS = {"red": 2.0, "yellow": 0.75, "blue": 0.0, "green": 0.0}
MISSED_SHOWN = 20


@dataclass
class Score:
    declarations: int
    budget: int  # how many may be controlled
    matched: int  # declarations at least one profile fired on
    controlled: int
    found: int  # controlled and non-compliant (any kind)
    planted: int  # planted cases of the target kinds
    caught: int  # ... controlled
    precision: float
    recall: float
    score: float
    passed: bool
    revenue_planted_eur: float
    revenue_caught_eur: float
    control_hours: float
    missed: list[dict[str, Any]] = field(default_factory=list)


def score(exercise: Exercise, rows: pl.DataFrame, run: list[CompiledProfile]) -> Score:
    """Score the judged declarations (``profiles.backtest.judged``) of one attempt."""
    budget = max(1, math.floor(exercise.budget * rows.height))
    weights = [p.weight for p in run]
    hours = [CONTROL_HOURS.get(p.channel, 0.0) for p in run]
    target = pl.col("kinds").list.set_intersection(exercise.targets).list.len() > 0
    ranked = (
        rows.with_columns(
            weight=pl.col("fired").list.eval(pl.element().replace_strict(
                list(range(len(run))), weights, return_dtype=pl.Int64)).list.sum(),
            hours=pl.col("fired").list.eval(pl.element().replace_strict(
                list(range(len(run))), hours, return_dtype=pl.Float64)).list.max(),
            target=target,
        )
        .with_columns(matched=pl.col("fired").list.len() > 0)
        .sort(["matched", "weight", "lodged_at", "reference"],
              descending=[True, True, False, False])
        .with_row_index("rank")
        .with_columns(controlled=pl.col("matched") & (pl.col("rank") < budget))
    )  # fmt: skip
    controlled = ranked.filter(pl.col("controlled"))
    planted = ranked.filter(pl.col("target"))
    caught = planted.filter(pl.col("controlled"))
    found = int(controlled["non_compliant"].sum())
    precision = found / controlled.height if controlled.height else 0.0
    recall = caught.height / planted.height if planted.height else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    missed = planted.filter(~pl.col("controlled")).sort("revenue", descending=True)
    return Score(
        declarations=rows.height, budget=budget, matched=int(ranked["matched"].sum()),
        controlled=controlled.height, found=found, planted=planted.height,
        caught=caught.height, precision=round(precision, 4), recall=round(recall, 4),
        score=round(100 * f1, 1), passed=100 * f1 >= exercise.pass_mark,
        revenue_planted_eur=round(float(planted["revenue"].sum()), 2),
        revenue_caught_eur=round(float(caught["revenue"].sum()), 2),
        control_hours=round(float(controlled["hours"].fill_null(0).sum()), 2),
        missed=[{"reference": r["reference"].removeprefix(exercise.prefix),
                 "office": r["office"], "kinds": r["kinds"],
                 "revenue_eur": round(r["revenue"], 2),
                 "why": ("a profile matched it, but the inspection budget was spent on "
                         "heavier-weighted matches" if r["matched"]
                         else "no profile matched it")}
                for r in missed.head(MISSED_SHOWN).iter_rows(named=True)],
    )  # fmt: skip


def attempt(*, engine: Engine, exercise: Exercise, texts: list[str]) -> Score:
    """Compile ``texts`` (profiles' YAML) in the sandbox and score them on the exercise."""
    since, until = exercise.window
    with acting_for(SANDBOX_PARTY), Session(engine) as session:
        run = [compile_draft(session=session, party=SANDBOX_PARTY, text=t) for t in texts]
        rows = judged(session=session, party=SANDBOX_PARTY, run=run, since=since, until=until,
                      where=Declaration.reference.startswith(exercise.prefix))  # fmt: skip
    if not rows.height:
        raise ValueError(f"the sandbox holds no traffic of {exercise.code}: start it first")
    return score(exercise, rows, run)
