"""What a batch engine applies to each partition of item rows: deciding, or judging a backtest.

Each work is a plain callable from a polars frame of whole declarations (every
item row of each) to a polars frame of ``schema``. It calls the same functions
as the hub's own engine (``selectivity.service.decide_frame``,
``profiles.backtest.judge``), so where it runs cannot change an answer. A work
travels to Spark's executors by pickle: everything it holds (compiled
profiles, office rates, the AEO register, the model, the draw secret) is data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import orjson
import polars as pl

from riskhub.profiles.compiled import CompiledProfile
from riskhub.profiles.document import Channel
from riskhub.registries.lpco.checks import Checked
from riskhub.registries.service import AeoRegister
from riskhub.selectivity.pipeline import Decision, OfficeRates
from riskhub.selectivity.scoring import Scorer

Schema = Mapping[str, Any]  # column name -> polars type

DECISIONS: Schema = {
    "party": pl.String,
    "reference": pl.String,
    "declaration_id": pl.Int64,
    "version": pl.Int64,
    "office": pl.String,
    "lodged_at": pl.Datetime("us"),
    "channel": pl.String,
    "score": pl.Float64,
    "random_control": pl.Boolean,
    "aeo": pl.Boolean,
    "mandatory": pl.Boolean,
    "priority": pl.Boolean,
    "reasons": pl.String,  # JSON (stored re-encoded as the hub's own batch encodes it)
    "agencies": pl.String,
    "checklist": pl.String,
    "engine_version": pl.String,
    "profiles_version": pl.String,
    "model_version": pl.String,
    # The challenger's shadow score of the declaration version, when a challenger scores.
    "shadow_model_id": pl.Int64,
    "shadow_score": pl.Float64,
}

JUDGED: Schema = {
    "party": pl.String,
    "reference": pl.String,
    "declaration_id": pl.Int64,
    "office": pl.String,
    "lodged_at": pl.Datetime("us"),
    "day": pl.Date,
    "non_compliant": pl.Boolean,
    "revenue": pl.Float64,
    "kinds": pl.List(pl.String),
    "fired": pl.List(pl.Int32),
}


class PartitionWork:
    """Turn whole declarations' item rows into rows of ``schema``; the same on every engine."""

    schema: ClassVar[Schema]

    def __call__(self, rows: pl.DataFrame) -> pl.DataFrame:
        raise NotImplementedError


@dataclass
class DecideWork(PartitionWork):
    """Each declaration's channel before the office budget, as the hub's batch decides it.

    The LPCO checks are not here: they draw allowances, which is a transaction
    on the registry. Declarations citing LPCOs stay behind and are decided on
    the hub when the decisions are stored (``batch.service``).
    """

    schema: ClassVar[Schema] = DECISIONS
    profiles: Sequence[CompiledProfile]
    rates: dict[str, OfficeRates]
    holders: AeoRegister
    scorer: Scorer
    secret: bytes = field(repr=False)

    def __call__(self, rows: pl.DataFrame) -> pl.DataFrame:
        # Imported here: the selectivity service imports the rest of the hub.
        from riskhub.selectivity.service import decide_frame

        decisions = decide_frame(
            rows, profiles_=self.profiles, rates=self.rates, holders=self.holders,
            scorer=self.scorer, secret=self.secret, checked=Checked(),
        )  # fmt: skip
        return decisions_frame(decisions, self.scorer.take_shadow())


@dataclass
class JudgeWork(PartitionWork):
    """What a backtest needs per declaration: the profiles of ``run`` that fire, what it hid."""

    schema: ClassVar[Schema] = JUDGED
    run: Sequence[CompiledProfile]

    def __call__(self, rows: pl.DataFrame) -> pl.DataFrame:
        from riskhub.profiles.backtest import judge

        return judge(rows, self.run)


def decisions_frame(
    decisions: Sequence[Decision], shadow: Sequence[dict[str, Any]]
) -> pl.DataFrame:
    """Decisions (before the budget) as rows of ``DECISIONS``."""
    shadows = {(s["declaration_id"], s["declaration_version"]): s for s in shadow}
    rows = []
    for d in decisions:
        found = shadows.get((d.declaration_id, d.version))
        rows.append(
            {
                "party": d.party, "reference": d.reference, "declaration_id": d.declaration_id,
                "version": d.version, "office": d.office, "lodged_at": d.lodged_at,
                "channel": d.channel.value, "score": d.score,
                "random_control": d.random_control, "aeo": d.aeo, "mandatory": d.mandatory,
                "priority": d.priority,
                "reasons": orjson.dumps(d.reasons).decode(),
                "agencies": orjson.dumps(d.agencies).decode(),
                "checklist": orjson.dumps(d.checklist).decode(),
                "engine_version": d.engine_version, "profiles_version": d.profiles_version,
                "model_version": d.model_version,
                "shadow_model_id": found["model_id"] if found else None,
                "shadow_score": found["score"] if found else None,
            }
        )  # fmt: skip
    return pl.DataFrame(rows, schema=dict(DECISIONS), orient="row")


def decisions_from(frame: pl.DataFrame) -> tuple[list[Decision], list[dict[str, Any]]]:
    """Rows of ``DECISIONS`` back as decisions, and the shadow scores as ShadowScore rows."""
    decisions, shadow = [], []
    for row in frame.iter_rows(named=True):
        decisions.append(
            Decision(
                party=row["party"], reference=row["reference"],
                declaration_id=row["declaration_id"], version=row["version"],
                office=row["office"], lodged_at=row["lodged_at"],
                channel=Channel(row["channel"]), score=row["score"],
                random_control=row["random_control"], aeo=row["aeo"],
                reasons=orjson.loads(row["reasons"]), agencies=orjson.loads(row["agencies"]),
                checklist=orjson.loads(row["checklist"]), engine_version=row["engine_version"],
                profiles_version=row["profiles_version"], model_version=row["model_version"],
                mandatory=row["mandatory"], priority=row["priority"],
            )
        )  # fmt: skip
        if row["shadow_model_id"] is not None:
            shadow.append(
                {"party": row["party"], "model_id": row["shadow_model_id"],
                 "declaration_id": row["declaration_id"], "declaration_version": row["version"],
                 "score": row["shadow_score"]}
            )  # fmt: skip
    return decisions, shadow
