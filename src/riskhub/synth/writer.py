"""Write generated traffic as CSV, Parquet or nested JSON Lines, chosen by the file name.

AEO holders are written as the CSV ``riskhub aeo import`` reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from riskhub.declarations import fields


def write_traffic(frame: pl.DataFrame, path: Path) -> None:
    """Write item rows to ``path``: .csv and .parquet flat, .jsonl one declaration per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame.write_csv(path, datetime_format="%Y-%m-%dT%H:%M:%SZ")
    elif suffix in {".parquet", ".pq"}:
        frame.write_parquet(path)
    elif suffix in {".jsonl", ".ndjson"}:
        _nested(frame).write_ndjson(path)
    else:
        raise ValueError(f"cannot write '{path.name}': use a .csv, .parquet or .jsonl name")


def write_aeo(frame: pl.DataFrame, path: Path) -> None:
    """Write AEO authorisations (party, trader, kind, valid_from, valid_to) as CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.select("party", "trader", "kind", "valid_from", "valid_to").write_csv(
        path, date_format="%Y-%m-%d"
    )


def _nested(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per declaration with its goods items in a list, as the API takes them."""
    header = [c for c in frame.columns if c in fields.HEADER]
    item = [c for c in frame.columns if c not in fields.HEADER]
    return (
        frame.with_columns(
            pl.col(pl.Datetime).dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        .group_by(["party", "reference"], maintain_order=True)
        .agg(
            *(pl.col(c).first() for c in header if c not in ("party", "reference")),
            pl.struct(item).alias("items"),
        )
    )


def as_records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Item rows as declarations the way the API takes them (JSON objects with ``items``)."""
    return _nested(frame).to_dicts()
