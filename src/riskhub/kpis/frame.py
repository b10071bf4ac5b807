"""One row per decided declaration, with what its controls found and how long it waited.

Every KPI is computed from this frame, so they all count the same things: the
decision on a declaration's current version lodged in [since, until), joined
with its inspections (summed per declaration) and its release times.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.db.tenancy import acting_for
from riskhub.declarations.models import Declaration
from riskhub.inspections.found import found_by_declaration
from riskhub.inspections.models import ReleaseTime
from riskhub.selectivity.models import SelectivityDecision

SCHEMA: dict[str, Any] = {
    "party": pl.String,
    "declaration_id": pl.Int64,
    "office": pl.String,
    "lodged_at": pl.Datetime("us"),
    "channel": pl.String,
    "random_control": pl.Boolean,
    "aeo": pl.Boolean,
    "driver": pl.String,
    "matched": pl.List(pl.String),
    "selected": pl.List(pl.String),
    "inspected": pl.Boolean,
    "hit": pl.Boolean,
    "seizure": pl.Boolean,
    "revenue_eur": pl.Float64,
    "findings": pl.List(pl.String),
    "arrival_to_release_h": pl.Float64,
    "lodgement_to_release_h": pl.Float64,
}


def driver(channel: str, random_control: bool, selected: list[str], budget: str | None,
           model_version: str | None) -> str:  # fmt: skip
    """What sent one declaration to control: random, profile, model, score top-up, or none."""
    row = pl.DataFrame({"channel": [channel], "random_control": [random_control],
                        "selected": [selected], "budget": [budget],
                        "model_version": [model_version]},
                       schema_overrides={"selected": pl.List(pl.String), "budget": pl.String,
                                         "model_version": pl.String})  # fmt: skip
    return str(row.select(_driver()).item())


_RAW: dict[str, Any] = {
    "declaration_id": pl.Int64, "office": pl.String, "lodged_at": pl.Datetime("us"),
    "channel": pl.String, "random_control": pl.Boolean, "aeo": pl.Boolean,
    "reasons": pl.String, "budget": pl.String, "model_version": pl.String,
    "arrival_at": pl.Datetime("us"), "released_at": pl.Datetime("us"),
}  # fmt: skip
_REASONS = pl.List(pl.Struct({"owner": pl.String, "profile": pl.String, "selected": pl.Boolean}))
_FOUND: dict[str, Any] = {
    "declaration_id": pl.Int64, "inspected": pl.Boolean, "hit": pl.Boolean,
    "seizure": pl.Boolean, "revenue_eur": pl.Float64, "findings": pl.List(pl.String),
}  # fmt: skip


def read_frame(*, session: Session, party: str, since: datetime, until: datetime) -> pl.DataFrame:
    """The frame of ``party``'s declarations lodged in [since, until)."""
    d, s, t = Declaration, SelectivityDecision, ReleaseTime
    # Through the connection: plain rows without the ORM's result machinery (a third faster).
    rows = session.connection().execute(
        select(
            s.declaration_id, s.office, s.lodged_at, s.channel, s.random_control, s.aeo,
            s.reasons, s.budget, s.model_version, t.arrival_at, t.released_at,
        )
        .join(d, (d.id == s.declaration_id) & (d.version == s.declaration_version))
        .outerjoin(t, t.declaration_id == s.declaration_id)
        .where(s.party == party, d.party == party, s.lodged_at >= since, s.lodged_at < until)
        .order_by(s.lodged_at, s.declaration_id)
    ).all()  # fmt: skip
    if not rows:
        return pl.DataFrame(schema=SCHEMA)
    controls = found_by_declaration(session=session, party=party, since=since, until=until)
    # Column by column in polars: a KPI page reads tens of thousands of rows per Party.
    raw = pl.DataFrame(list(zip(*rows, strict=True)), schema=_RAW, orient="col")
    found = pl.DataFrame(
        [(k, True, c.hit, c.seizure, c.revenue, sorted(c.categories)) for k, c in controls.items()],
        schema=_FOUND, orient="row",
    )  # fmt: skip
    reason = pl.element().struct
    named = pl.concat_str(reason.field("owner"), pl.lit("/"), reason.field("profile"))
    reasons = pl.col("reasons").str.json_decode(_REASONS)
    return (
        raw.with_columns(
            matched=reasons.list.eval(named.filter(reason.field("profile").fill_null("") != "")),
            selected=reasons.list.eval(named.filter(reason.field("selected").fill_null(False))),
        )
        .with_columns(party=pl.lit(party), driver=_driver())
        .join(found, on="declaration_id", how="left", maintain_order="left")
        .with_columns(
            pl.col("inspected", "hit", "seizure").fill_null(False),
            pl.col("revenue_eur").fill_null(0.0),
            pl.col("findings").fill_null([]),
            arrival_to_release_h=_hours("arrival_at"),
            lodgement_to_release_h=_hours("lodged_at"),
        )
        .select(list(SCHEMA))
    )


def _driver() -> pl.Expr:
    """The rule behind ``driver``, as a column expression (the one place it is written)."""
    given = {name: pl.col(name).fill_null("") != "" for name in ("budget", "model_version")}
    return (
        pl.when(pl.col("channel") == "green").then(pl.lit("none"))
        .when(pl.col("random_control")).then(pl.lit("random"))
        .when(pl.col("selected").list.len() > 0).then(pl.lit("profile"))
        .when(given["model_version"]).then(pl.lit("model"))
        .when(given["budget"]).then(pl.lit("score_top_up"))
        .otherwise(pl.lit("other"))
    )  # fmt: skip


def _hours(start: str) -> pl.Expr:
    """Hours from ``start`` to release, exactly as timedelta.total_seconds() / 3600 gives them."""

    def divide(us: pl.Series) -> pl.Series:
        # numpy divides; polars multiplies by the reciprocal, a last digit off now and then.
        return pl.Series(us.cast(pl.Float64).to_numpy() / 1e6 / 3600, nan_to_null=True)

    span = (pl.col("released_at") - pl.col(start)).dt.total_microseconds()
    return span.map_batches(divide, return_dtype=pl.Float64)


def read_parties(
    *, engine: Engine, parties: list[str], since: datetime, until: datetime
) -> pl.DataFrame:
    """The frames of several Parties, each read acting for that Party (for aggregates)."""
    frames = []
    for party in parties:
        with acting_for(party), Session(engine) as session:
            frames.append(read_frame(session=session, party=party, since=since, until=until))
    return pl.concat(frames) if frames else pl.DataFrame(schema=SCHEMA)
