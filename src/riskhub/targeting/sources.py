"""Training and scoring data in one canonical layout, from the KCS benchmark files or riskhub's own.

Every reader returns a polars frame with the columns of ``CANONICAL``: one row
per goods item, keyed by ``id`` (the KCS Declaration ID, or riskhub's
declaration reference), with its date, the parties and goods as text codes,
value, mass and duty rate as numbers, and, when known, the labels: ``fraud``
(0/1), ``critical`` (0/1) and ``revenue`` (duty and taxes at stake, EUR).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

CODES = (
    "office",
    "declarant",
    "importer",
    "seller",
    "hs6",
    "origin",
    "departure",
    "procedure",
    "transport",
    "tax_type",
    "origin_claim",
)
CANONICAL: dict[str, Any] = {
    "id": pl.String,
    "date": pl.Date,
    **{c: pl.String for c in CODES},
    "tax_rate": pl.Float64,
    "net_mass": pl.Float64,
    "value": pl.Float64,
    "fraud": pl.Int8,
    "critical": pl.Int8,
    "revenue": pl.Float64,
}
FORMATS = ("kcs", "native")


class SourceError(ValueError):
    """The file cannot be read as the format named; the message says where and why."""


def read(path: Path, *, format: str) -> pl.DataFrame:
    """The file's rows in the canonical layout."""
    if format not in FORMATS:
        raise SourceError(f"format is one of {', '.join(FORMATS)}, not {format!r}")
    try:
        raw = pl.read_csv(path, infer_schema_length=0)
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError, OSError) as error:
        raise SourceError(f"{path}: cannot read as CSV: {error}") from error
    return _kcs(raw, path) if format == "kcs" else native(raw, path)


def _need(raw: pl.DataFrame, columns: list[str], path: Path | str) -> None:
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        raise SourceError(f"{path}: missing column {missing[0]!r}")


def _number(name: str) -> pl.Expr:
    return pl.col(name).str.strip_chars().cast(pl.Float64, strict=False)


def _procedure(raw: pl.DataFrame) -> pl.Expr:
    present = [c for c in ("Process Type", "Import Type", "Import Use", "Payment Type")
               if c in raw.columns]  # fmt: skip
    if not present:
        return pl.lit(None, pl.String)
    return pl.concat_str([pl.col(c).fill_null("") for c in present], separator="/")


def _kcs(raw: pl.DataFrame, path: Path) -> pl.DataFrame:
    """The KCS synthetic import declarations (arXiv:2208.02484); HS10 files are cut to HS6."""
    hs = "HS6 Code" if "HS6 Code" in raw.columns else "HS10 Code"
    needed = [
        "Declaration ID",
        "Date",
        "Office ID",
        "Declarant ID",
        "Importer ID",
        "Seller ID",
        hs,
        "Country of Origin",
        "Country of Departure",
        "Tax Rate",
        "Net Mass",
        "Item Price",
    ]
    _need(raw, needed, path)
    labelled = "Fraud" in raw.columns
    price, rate = _number("Item Price"), _number("Tax Rate")
    frame = raw.select(
        pl.col("Declaration ID").alias("id"),
        pl.col("Date").str.to_date(strict=False).alias("date"),
        pl.col("Office ID").alias("office"),
        pl.col("Declarant ID").alias("declarant"),
        pl.col("Importer ID").alias("importer"),
        pl.col("Seller ID").alias("seller"),
        pl.col(hs).str.slice(0, 6).alias("hs6"),
        pl.col("Country of Origin").alias("origin"),
        pl.col("Country of Departure").alias("departure"),
        _procedure(raw).alias("procedure"),
        pl.col("Mode of Transport").alias("transport")
        if "Mode of Transport" in raw.columns
        else pl.lit(None, pl.String).alias("transport"),
        pl.col("Tax Type").alias("tax_type")
        if "Tax Type" in raw.columns
        else pl.lit(None, pl.String).alias("tax_type"),
        pl.col("Country of Origin Indicator").alias("origin_claim")
        if "Country of Origin Indicator" in raw.columns
        else pl.lit(None, pl.String).alias("origin_claim"),
        rate.alias("tax_rate"),
        _number("Net Mass").alias("net_mass"),
        price.alias("value"),
        (_number("Fraud") if labelled else pl.lit(None)).cast(pl.Int8).alias("fraud"),
        ((_number("Critical Fraud") == 2) if "Critical Fraud" in raw.columns else pl.lit(None))
        .cast(pl.Int8)
        .alias("critical"),
        # The data has no revenue column: what a fraud puts at stake is value × rate.
        (
            pl.when(_number("Fraud") == 1).then(price * rate / 100).otherwise(0.0)
            if labelled
            else pl.lit(None, pl.Float64)
        ).alias("revenue"),
    )
    return _checked(frame, path)


def native(raw: pl.DataFrame, path: Path | str = "rows") -> pl.DataFrame:
    """riskhub's item rows (the ingest CSV, or stored item rows), labelled when outcomes are known.

    ``known_outcome`` labels an item: empty or 'compliant' is 0, a kind of
    non-compliance is 1; a file without the column is unlabelled.
    """
    _need(
        raw,
        [
            "reference",
            "lodged_at",
            "office",
            "declarant",
            "hs_code",
            "origin_country",
            "net_mass",
            "customs_value_eur",
        ],
        path,
    )

    def text(name: str) -> pl.Expr:
        if name not in raw.columns:
            return pl.lit(None, pl.String)
        return pl.col(name).cast(pl.String)

    labelled = "known_outcome" in raw.columns
    outcome = text("known_outcome").fill_null("")
    fraud = ((outcome != "") & (outcome != "compliant")).cast(pl.Int8)
    revenue = (
        pl.col("known_revenue_eur").cast(pl.Float64, strict=False).fill_null(0.0)
        if "known_revenue_eur" in raw.columns
        else pl.lit(0.0)
    )
    lodged = pl.col("lodged_at")
    date = (
        lodged.dt.date()
        if raw.schema["lodged_at"] != pl.String
        else lodged.str.slice(0, 10).str.to_date(strict=False)
    )
    frame = raw.select(
        text("reference").alias("id"),
        date.alias("date"),
        text("office").alias("office"),
        text("declarant").alias("declarant"),
        pl.coalesce(text("importer"), text("exporter")).alias("importer"),
        text("seller").alias("seller"),
        text("hs_code").str.slice(0, 6).alias("hs6"),
        text("origin_country").alias("origin"),
        text("dispatch_country").alias("departure"),
        pl.concat_str(
            [text("direction").fill_null(""), text("procedure_code").fill_null("")], separator="/"
        ).alias("procedure"),
        text("transport_mode").alias("transport"),
        text("incoterm").alias("tax_type"),
        text("preferential_origin").alias("origin_claim"),
        pl.col("duty_rate").cast(pl.Float64, strict=False).alias("tax_rate")
        if "duty_rate" in raw.columns
        else pl.lit(None, pl.Float64).alias("tax_rate"),
        pl.col("net_mass").cast(pl.Float64, strict=False).alias("net_mass"),
        pl.col("customs_value_eur").cast(pl.Float64, strict=False).alias("value"),
        (fraud if labelled else pl.lit(None, pl.Int8)).alias("fraud"),
        pl.lit(None, pl.Int8).alias("critical"),
        (revenue if labelled else pl.lit(None, pl.Float64)).alias("revenue"),
    )
    return _checked(frame, path)


def _checked(frame: pl.DataFrame, path: Path | str) -> pl.DataFrame:
    frame = frame.cast(CANONICAL)  # type: ignore[arg-type]
    for column in ("id", "date", "net_mass", "value"):
        bad = frame.with_row_index("row").filter(pl.col(column).is_null())
        if bad.height:
            line = int(bad["row"][0]) + 2  # the header is line 1
            raise SourceError(f"{path}: line {line}: '{column}' is missing or not readable")
    for column in ("net_mass", "value", "tax_rate"):
        bad = frame.with_row_index("row").filter(pl.col(column) < 0)
        if bad.height:
            line = int(bad["row"][0]) + 2
            raise SourceError(f"{path}: line {line}: '{column}' is negative")
    return frame
