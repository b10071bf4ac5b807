"""Readers: every format gives the same rows, and lines that cannot be read are reported."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import polars as pl
import pytest

from riskhub.declarations import fields
from riskhub.declarations.problems import problems_list
from riskhub.declarations.readers import (
    CsvReader,
    JsonLinesReader,
    KcsReader,
    ParquetReader,
    reader_for,
)
from riskhub.declarations.validation import validate
from tests.helpers import nested, rows, write_csv

KCS = Path(__file__).parents[3] / "shared/data/customs-declaration-datasets/df_syn_train_eng.csv"
NOW = datetime(2026, 11, 27, tzinfo=UTC)


def accepted(path: Path) -> pl.DataFrame:
    return validate(reader_for(path).read(path), now=NOW).accepted.select(fields.ALL)


def test_csv_jsonl_and_parquet_read_the_same_declarations(tmp_path: Path) -> None:
    records = rows("R1", n_items=2) + rows("R2", n_items=1, container_ids="MSCU1234565")
    csv_path = write_csv(tmp_path / "d.csv", records)
    jsonl = tmp_path / "d.jsonl"
    jsonl.write_bytes(
        b"\n".join(
            orjson.dumps(nested(r, n, container_ids=c))
            for r, n, c in (("R1", 2, None), ("R2", 1, ["MSCU1234565"]))
        )
    )
    parquet = tmp_path / "d.parquet"
    pl.DataFrame(records).with_columns(pl.col("net_mass").cast(pl.Float64)).write_parquet(parquet)
    from_csv = accepted(csv_path)
    assert from_csv.height == 3
    assert accepted(jsonl).equals(from_csv)
    assert accepted(parquet).equals(from_csv)


def test_csv_with_quoted_newlines_keeps_true_line_numbers(tmp_path: Path) -> None:
    records = rows("R1", n_items=1, description="two\nlines") + rows("R2", n_items=1, net_mass="-1")
    batch = validate(CsvReader().read(write_csv(tmp_path / "q.csv", records)), now=NOW)
    (problem,) = problems_list(batch.problems)
    assert problem.location == "q.csv line 4"  # the record starting after the 2-line one
    assert batch.accepted.get_column("description").to_list() == ["two\nlines"]


def test_ragged_csv_line_is_reported_and_the_rest_loads(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", rows("R1", n_items=1) + rows("R2", n_items=1))
    lines = path.read_text().splitlines()
    lines.insert(2, "RS,only,three")
    path.write_text("\n".join(lines) + "\n")
    raw = CsvReader().read(path)
    (problem,) = problems_list(raw.problems)
    assert problem.location == "r.csv line 3"
    assert "has 3 fields; the header has" in problem.reason
    assert raw.frame.get_column("reference").to_list() == ["R1", "R2"]
    assert raw.frame.get_column(fields.LINE).to_list() == [2, 4]


def test_unknown_columns_are_ignored_and_named(tmp_path: Path) -> None:
    raw = CsvReader().read(write_csv(tmp_path / "u.csv", rows("R1", n_items=1, colour="red")))
    assert raw.ignored_columns == ("colour",)


def test_loose_column_names_are_understood(tmp_path: Path) -> None:
    records = [{k.upper().replace("_", " "): v for k, v in r.items()} for r in rows("R1")]
    assert accepted(write_csv(tmp_path / "loose.csv", records)).height == 2


def test_jsonl_bad_lines_are_reported_with_their_numbers(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        "\n".join(
            [
                orjson.dumps(nested("R1")).decode(),
                "{not json",
                "[1, 2]",
                orjson.dumps({**nested("R2"), "items": []}).decode(),
                orjson.dumps({**nested("R3"), "items": [1]}).decode(),
                "",
                orjson.dumps(nested("R4")).decode(),
                orjson.dumps(
                    {**nested("R5", n_items=1), "items": [nested("R5")["items"][0], 7]}
                ).decode(),
            ]
        )
    )
    raw = JsonLinesReader().read(path)
    found = [(p.location, p.reason.split(" (")[0]) for p in problems_list(raw.problems)]
    assert found == [
        ("bad.jsonl line 2", "is not valid JSON"),
        ("bad.jsonl line 3", "expected a JSON object"),
        ("bad.jsonl line 4", "'items' must be a non-empty list of goods items"),
        ("bad.jsonl line 5 item 1", "a goods item must be a JSON object"),
        ("bad.jsonl line 8 item 1", "not stored: item 2 of the same declaration is not an object"),
        ("bad.jsonl line 8 item 2", "a goods item must be a JSON object"),
    ]
    assert raw.frame.get_column("reference").unique(maintain_order=True).to_list() == ["R1", "R4"]


def test_unreadable_parquet_is_one_clear_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"not parquet at all")
    raw = ParquetReader().read(path)
    (problem,) = problems_list(raw.problems)
    assert problem.location == "broken.parquet"
    assert problem.reason.startswith("is not a readable Parquet file")


def test_format_is_guessed_from_name_and_header(tmp_path: Path) -> None:
    assert isinstance(reader_for(tmp_path / "x.jsonl"), JsonLinesReader)
    assert isinstance(reader_for(tmp_path / "x.parquet"), ParquetReader)
    assert isinstance(reader_for(write_csv(tmp_path / "x.csv", rows("R1"))), CsvReader)
    with pytest.raises(ValueError, match="cannot tell the format"):
        reader_for(tmp_path / "x.xlsx")


@pytest.mark.skipif(not KCS.exists(), reason="the KCS data set is not beside this checkout")
def test_kcs_rows_become_one_item_imports_with_their_labels(tmp_path: Path) -> None:
    sample = tmp_path / "kcs.csv"
    sample.write_text("".join(KCS.read_text().splitlines(keepends=True)[:2001]))
    assert isinstance(reader_for(sample), KcsReader)
    source = pl.read_csv(sample, infer_schema=False)
    batch = validate(KcsReader("ZZ").read(sample), now=NOW)
    unknown_origin = source.filter(pl.col("Country of Origin") == "ZZ").height
    assert batch.accepted.height == source.height - unknown_origin
    for problem in problems_list(batch.problems):
        assert (problem.field, problem.reason) == ("origin_country", "missing required field")
    unknown_dispatch = source.filter(pl.col("Country of Departure") == "ZZ")
    assert (
        batch.accepted.filter(
            pl.col("reference").is_in(unknown_dispatch.get_column("Declaration ID").implode())
        )
        .get_column("dispatch_country")
        .is_null()
        .all()
    )
    first = batch.accepted.row(0, named=True)
    src = source.row(0, named=True)
    assert first["reference"] == src["Declaration ID"]
    assert first["direction"] == "IMPORT"
    assert first["item_no"] == 1
    assert first["hs_code"] == src["HS6 Code"].zfill(6)
    assert first["office"] == f"KCS-{src['Office ID']}"
    assert first["transport_mode"] == int(src["Mode of Transport"][0])
    assert orjson.loads(first["extra"])["tax_type"] == src["Tax Type"]
    labels = batch.accepted.join(
        source.select(pl.col("Declaration ID").alias("reference"), "Fraud", "Critical Fraud"),
        on="reference",
    )
    assert (labels.get_column("known_outcome") == "fraud").sum() == (labels["Fraud"] == "1").sum()
    assert labels.filter(pl.col("known_critical")).get_column(
        "Critical Fraud"
    ).unique().to_list() == ["2"]
