"""The SQL backend run inside the hub's own database gives the polars engine's answers.

On PostgreSQL (``RISKHUB_TEST_DATABASE_URL``) every starter profile's criteria are
compiled to SQL and run over synthetic traffic in a temporary table; the random
trees of ``criteria/test_backends_agree.py`` cover DuckDB. SQLite lacks the
functions the SQL uses (ISODOW, strpos), so it is not a target.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, text

from riskhub.matching.fields import with_seed
from riskhub.profiles.criteria.backends import PolarsBackend, SqlBackend
from riskhub.profiles.criteria.vocabulary import INPUT_COLUMNS
from riskhub.profiles.document import read_library
from riskhub.profiles.history import with_history
from riskhub.selectivity.engine import with_exchange_fields
from riskhub.synth.generator import TrafficSpec, generate
from tests.profiles.criteria.support import SCHEMA

LIBRARY = Path(__file__).parents[2] / "src" / "riskhub" / "profiles" / "library"
PG_TYPES = {
    pl.String: "TEXT",
    pl.Int64: "BIGINT",
    pl.Float64: "DOUBLE PRECISION",
    pl.Boolean: "BOOLEAN",
    pl.Datetime: "TIMESTAMP",
}


def test_starter_library_in_postgresql_matches_polars(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no ISODOW or strpos")
    traffic = generate(TrafficSpec(days=10, trucks_per_day=80))
    exports = traffic.filter(pl.col("direction") == "EXPORT")
    frame = with_seed(with_history(traffic), exports)  # the SEED profiles get real values too
    frame = with_exchange_fields(frame)  # the LPCO registry fields, unknown here
    frame = frame.with_columns(pl.int_range(pl.len()).alias("row_no")).select(
        "row_no", *[pl.col(c).cast(SCHEMA[c]) for c in INPUT_COLUMNS]
    )
    columns = ", ".join(f'"{name}" {PG_TYPES[type(dtype)]}' for name, dtype in frame.schema.items())
    names = ", ".join(f'"{c}"' for c in frame.columns)
    marks = ", ".join(f":{c}" for c in frame.columns)
    profiles = [r for f in sorted(LIBRARY.glob("*.yaml")) for r in read_library(f.read_text())]
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TEMPORARY TABLE criteria_rows ({columns}) ON COMMIT DROP"))
        conn.execute(
            text(f"INSERT INTO criteria_rows ({names}) VALUES ({marks})"), frame.to_dicts()
        )
        compared = 0
        for read in profiles:
            assert read.criteria is not None and read.document is not None
            sql = SqlBackend().compile(read.criteria, lists={})
            in_db = (
                conn.execute(text(f"SELECT row_no FROM criteria_rows WHERE {sql} ORDER BY row_no"))
                .scalars()
                .all()
            )
            expr = PolarsBackend().compile(read.criteria, lists={})
            in_polars = frame.filter(expr)["row_no"].to_list()
            assert in_db == in_polars, read.document.code
            compared += bool(in_polars)
    assert compared >= 20  # most profiles hit something, so the comparison is not empty
