"""The training sandbox: each exercise's synthetic traffic, in the sandbox tenant (ZZ) only.

Nothing here reads or writes another Party's data: the traffic is generated
from the exercise's seed with every declaration owned by the sandbox, its
references prefixed by the exercise code, and its planted non-compliance kept
as known outcomes. Cross-Party numbers leave the sandbox out
(``reference.parties.LIVE_OWNERS``), and no model of a live Party reads it.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from riskhub.db.tenancy import acting_for
from riskhub.declarations import service as declarations
from riskhub.declarations.models import Declaration
from riskhub.reference.parties import SANDBOX_PARTY
from riskhub.synth.generator import TrafficSpec, generate
from riskhub.synth.writer import as_records
from riskhub.training.exercises import Exercise


def declarations_of(*, engine: Engine, exercise: Exercise) -> int:
    """How many of the exercise's declarations the sandbox holds."""
    d = Declaration
    with acting_for(SANDBOX_PARTY), Session(engine) as session:
        return int(session.scalar(
            select(func.count()).select_from(d).where(
                d.party == SANDBOX_PARTY, d.reference.startswith(exercise.prefix))
        ) or 0)  # fmt: skip


def traffic(exercise: Exercise) -> pl.DataFrame:
    """The exercise's item rows as the sandbox stores them (the same for the same seed)."""
    t = exercise.traffic
    rows = generate(TrafficSpec(days=t.days, seed=t.seed, start=t.start,
                                trucks_per_day=t.trucks_per_day))  # fmt: skip
    prefixed = {name: pl.lit(exercise.prefix) + pl.col(name)
                for name in ("reference", "export_reference")}  # fmt: skip
    return rows.with_columns(party=pl.lit(SANDBOX_PARTY), **prefixed)


def seed(*, engine: Engine, exercise: Exercise) -> int:
    """Put the exercise's traffic in the sandbox, once; the number of its declarations there.

    Loading is idempotent: a second start, or two trainees starting at once,
    finds the same declarations unchanged and adds nothing.
    """
    held = declarations_of(engine=engine, exercise=exercise)
    if held:
        return held
    # As the sandbox submitting its own declarations, as over the API: row-level
    # security holds whoever asked for the exercise.
    with acting_for(SANDBOX_PARTY):
        declarations.ingest_records(engine=engine, records=as_records(traffic(exercise)),
                                    submitted_by_party=SANDBOX_PARTY,
                                    body_sha256=f"exercise {exercise.code}")  # fmt: skip
    return declarations_of(engine=engine, exercise=exercise)
