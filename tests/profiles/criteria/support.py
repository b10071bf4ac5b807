"""Shared helpers: a frame with every input column, and the three backends run on it."""

from __future__ import annotations

import tempfile
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from riskhub.declarations.fields import BY_NAME, Kind
from riskhub.profiles.criteria import tree as t
from riskhub.profiles.criteria.backends import PolarsBackend, PythonBackend, SqlBackend
from riskhub.profiles.criteria.vocabulary import INPUT_COLUMNS, VOCABULARY, FieldType

# History counts are whole numbers; the other history fields are ratios and percentages.
HISTORY_INTEGERS = frozenset(
    {"reference_items", "trader_age_days", "trader_declarations_90d", "trader_hits_365d"}
)


def dtype_of(name: str) -> pl.DataType:
    kind = VOCABULARY[name].type
    if kind in (FieldType.TEXT, FieldType.CODE, FieldType.LIST):
        return pl.String()
    if kind is FieldType.BOOL:
        return pl.Boolean()
    if kind is FieldType.DATETIME:
        return pl.Datetime("us")
    spec = BY_NAME.get(name)
    whole = spec.kind is Kind.INT if spec else name in HISTORY_INTEGERS
    return pl.Int64() if whole else pl.Float64()


SCHEMA: dict[str, pl.DataType] = {name: dtype_of(name) for name in INPUT_COLUMNS}


def frame_of(rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """A frame with every input column (absent values are null), in the engine's dtypes."""
    rows = list(rows)
    for row in rows:
        unknown = set(row) - set(SCHEMA)
        assert not unknown, f"not an input column: {unknown}"
    data = {name: [row.get(name) for row in rows] for name in SCHEMA}
    return pl.DataFrame(data, schema=SCHEMA)


Lists = Mapping[str, Collection[str]]


def polars_hits(frame: pl.DataFrame, node: t.Node, lists: Lists) -> list[bool]:
    expr = PolarsBackend().compile(node, lists=lists)
    out = frame.select(expr.alias("hit")).to_series()
    assert out.dtype == pl.Boolean and out.null_count() == 0
    return out.to_list()


def python_hits(frame: pl.DataFrame, node: t.Node, lists: Lists) -> list[bool]:
    test = PythonBackend().compile(node, lists=lists)
    out = [test(row) for row in frame.to_dicts()]
    assert all(type(hit) is bool for hit in out)
    return out


class DuckFrame:
    """The frame as a DuckDB table (through Parquet: DuckDB reads polars frames via pyarrow,
    which is not installed), kept in its row order."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.height = frame.height
        self.connection = duckdb.connect()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "frame.parquet"
            frame.with_row_index("_row").write_parquet(path)
            self.connection.execute(
                f"CREATE TABLE frame AS SELECT * FROM read_parquet('{path.as_posix()}')"
            )

    def hits(self, node: t.Node, lists: Lists) -> list[bool]:
        sql = SqlBackend().compile(node, lists=lists)
        rows = self.connection.execute(f"SELECT {sql} AS hit FROM frame ORDER BY _row").fetchall()
        out = [row[0] for row in rows]
        assert len(out) == self.height
        assert all(type(hit) is bool for hit in out), out
        return out

    def close(self) -> None:
        self.connection.close()


def indices(hits: list[bool]) -> set[int]:
    return {i for i, hit in enumerate(hits) if hit}
