"""Parquet: one row per goods item, typed columns welcome."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from riskhub.declarations.problems import Problem, problems_frame
from riskhub.declarations.readers.base import (
    RawBatch,
    Reader,
    describe,
    empty_problems,
    finish_frame,
    split_known_columns,
)


class ParquetReader(Reader):
    """Reads a Parquet file; every column is turned to text for the common validator."""

    name = "parquet"

    def read(self, path: Path) -> RawBatch:
        name = describe(path)
        try:
            frame = pl.read_parquet(path)
        except pl.exceptions.PolarsError as exc:
            problem = Problem(name, "", f"is not a readable Parquet file ({exc})")
            return RawBatch(finish_frame({}, [], []), problems_frame([problem]))
        known, ignored = split_known_columns(frame.columns)
        columns = {field: _as_text(frame.get_column(col)) for col, field in known.items()}
        lines = pl.int_range(1, frame.height + 1, eager=True, dtype=pl.Int64)
        locations = (
            pl.DataFrame({"l": lines})
            .select(pl.format("{} row {}", pl.lit(name), pl.col("l")))
            .to_series()
        )
        return RawBatch(finish_frame(columns, lines, locations), empty_problems(), ignored)


def _as_text(series: pl.Series) -> pl.Series:
    if isinstance(series.dtype, pl.List):
        return series.list.eval(pl.element().cast(pl.String)).list.join(";")
    if series.dtype == pl.Boolean:
        return series.replace_strict({True: "true", False: "false"}, return_dtype=pl.String)
    if isinstance(series.dtype, pl.Datetime):
        fmt = "%Y-%m-%dT%H:%M:%S%.f" + ("%z" if series.dtype.time_zone else "")
        return series.dt.strftime(fmt)
    return series.cast(pl.String)
