"""A declaration decided alone (the API) sees the same history as in a batch (``riskhub select``)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from riskhub.declarations import service as declarations
from riskhub.declarations.models import Declaration
from riskhub.profiles.criteria.backends.derived import DERIVED
from riskhub.profiles.history import HISTORY_COLUMNS, with_history
from riskhub.selectivity import service
from riskhub.selectivity.rows import between, item_rows, read_rows
from riskhub.synth.generator import TrafficSpec, generate
from riskhub.synth.writer import write_traffic


def traders_of(frame: pl.DataFrame) -> list[str]:
    return [t for t in frame.select(DERIVED["trader"][0]).to_series().unique() if t]


def test_single_declaration_history_equals_the_batch_one(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "traffic.csv"
    write_traffic(generate(TrafficSpec(days=12, trucks_per_day=150)), path)
    declarations.ingest_path(engine=engine, path=path)
    d = Declaration
    with Session(engine) as session:
        everything = read_rows(session, item_rows(d.party == "RS"))
        last = everything["lodged_at"].max()
        assert last is not None
        # A sample of the last two days' imports and exports, each decided as if alone.
        late = everything.filter(pl.col("lodged_at") >= last - timedelta(days=2))
        sample = late.select("declaration_id").unique().sort("declaration_id").head(40)
        for (declaration_id,) in sample.iter_rows():
            target = everything.filter(pl.col("declaration_id") == declaration_id)
            at = target["lodged_at"][0]
            earlier = read_rows(
                session, item_rows(d.party == "RS", between(at - timedelta(days=365), at))
            )
            batch = with_history(target, earlier.filter(pl.col("declaration_id") != declaration_id))
            alone = with_history(
                target,
                service._earlier_for(
                    session, "RS", target, traders_of(target), at - timedelta(days=365), at
                ),
            )
            assert batch.select(HISTORY_COLUMNS).equals(alone.select(HISTORY_COLUMNS)), (
                declaration_id
            )
    # The sample is not trivial: history fields are filled in.
    assert batch.select(pl.col("trader_declarations_90d").is_not_null().any()).item()


def test_trader_fields_do_not_depend_on_how_far_back_history_was_loaded() -> None:
    frame = generate(TrafficSpec(days=1, trucks_per_day=20)).filter(pl.col("direction") == "IMPORT")
    target = frame.filter(pl.col("reference") == frame["reference"][0])
    trader, at = target["importer"][0], target["lodged_at"][0]

    def earlier(days_before: int, reference: str) -> pl.DataFrame:
        return target.with_columns(
            pl.lit(reference).alias("reference"),
            (pl.col("lodged_at") - timedelta(days=days_before)).alias("lodged_at"),
        )

    alone = with_history(target).select(HISTORY_COLUMNS)
    long_ago = with_history(target, earlier(370, "OLD")).select(HISTORY_COLUMNS)
    # Seen more than a year ago: new again, the same as with no history loaded at all.
    assert alone.equals(long_ago)
    assert alone["new_trader"].to_list() == [True] * target.height
    recent = with_history(target, pl.concat([earlier(370, "OLD"), earlier(100, "RECENT")]))
    assert recent["new_trader"].to_list() == [False] * target.height
    assert recent["trader_age_days"].to_list() == [100.0] * target.height
    assert trader is not None and at is not None
