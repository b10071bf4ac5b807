"""A declaration decided alone (the API) sees the same history as in a batch (``riskhub select``)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from riskhub.declarations import service as declarations
from riskhub.declarations.models import Declaration
from riskhub.profiles.history import HISTORY_COLUMNS, with_history
from riskhub.selectivity import service
from riskhub.selectivity.rows import between, item_rows, read_rows
from riskhub.synth.generator import TrafficSpec, generate
from riskhub.synth.writer import write_traffic


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
                service._earlier_for(session, "RS", target, at - timedelta(days=365), at),
            )
            assert batch.select(HISTORY_COLUMNS).equals(alone.select(HISTORY_COLUMNS)), (
                declaration_id
            )
    # The sample is not trivial: history fields are filled in.
    assert batch.select(pl.col("trader_declarations_90d").is_not_null().any()).item()
