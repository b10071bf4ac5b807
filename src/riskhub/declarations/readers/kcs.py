"""The public KCS synthetic import declarations (Jeong et al., arXiv:2208.02484).

Each row is an inspected import declaration with one goods item; its fraud
labels are kept as known control outcomes. Fields with no place in the WCO
model (import type and use, payment type, tax type, origin indicator, process
type) are kept in ``extra`` so that models can still use them. The data set's
'ZZ' (unknown country) becomes a missing value: an unknown dispatch country is
allowed, an unknown origin is not, so those few rows are rejected and listed.
"""

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
)
from riskhub.reference.parties import SANDBOX_PARTY

KCS_COLUMNS = ("Declaration ID", "Date", "Office ID", "Net Mass", "Item Price", "Fraud")
_EXTRA = {
    "Process Type": "process_type",
    "Import Type": "import_type",
    "Import Use": "import_use",
    "Payment Type": "payment_type",
    "Tax Type": "tax_type",
    "Country of Origin Indicator": "origin_indicator",
}


def looks_like_kcs(header: list[str]) -> bool:
    """True when a CSV header is the KCS dataset's."""
    return all(col in header for col in KCS_COLUMNS)


class KcsReader(Reader):
    """Maps each KCS row to a one-item import declaration of the given Party."""

    name = "kcs"

    def __init__(self, party: str = SANDBOX_PARTY) -> None:
        self.party = party

    def read(self, path: Path) -> RawBatch:
        name = describe(path)
        try:
            src = pl.read_csv(path, infer_schema=False)
        except pl.exceptions.PolarsError as exc:
            problem = Problem(name, "", f"is not a readable KCS CSV file ({exc})")
            return RawBatch(finish_frame({}, [], []), problems_frame([problem]))
        missing = [c for c in KCS_COLUMNS if c not in src.columns]
        if missing:
            problem = Problem(name, "", f"lacks the KCS columns {', '.join(missing)}")
            return RawBatch(finish_frame({}, [], []), problems_frame([problem]))
        hs_col, hs_len = ("HS10 Code", 10) if "HS10 Code" in src.columns else ("HS6 Code", 6)
        c = pl.col
        mapped = src.select(
            party=pl.lit(self.party),
            reference=c("Declaration ID"),
            direction=pl.lit("IMPORT"),
            office=pl.lit("KCS-") + c("Office ID"),
            lodged_at=c("Date"),
            declarant=c("Declarant ID"),
            importer=c("Importer ID"),
            seller=c("Seller ID"),
            carrier=c("Courier ID"),
            dispatch_country=_known(c("Country of Departure")),
            destination_country=pl.lit("KR"),
            # KCS transport codes are two digits whose first is the WCO mode (10 sea, 40 air).
            transport_mode=c("Mode of Transport").str.slice(0, 1),
            extra=pl.struct(
                [c(k).alias(v) for k, v in _EXTRA.items() if k in src.columns]
            ).struct.json_encode(),
            item_no=pl.lit("1"),
            # Leading zeros were lost where codes were stored as numbers.
            hs_code=c(hs_col).str.zfill(hs_len),
            origin_country=_known(c("Country of Origin")),
            net_mass=c("Net Mass"),
            customs_value_eur=c("Item Price"),
            duty_rate=c("Tax Rate"),
            known_outcome=pl.when(c("Fraud") == "1")
            .then(pl.lit("fraud"))
            .when(c("Fraud") == "0")
            .then(pl.lit("compliant")),
            known_critical=pl.when(c("Critical Fraud") == "2")
            .then(pl.lit("true"))
            .otherwise(pl.lit("false")),
        )
        lines = pl.int_range(2, src.height + 2, eager=True, dtype=pl.Int64)
        locations = (
            pl.DataFrame({"l": lines})
            .select(pl.format("{} line {}", pl.lit(name), pl.col("l")))
            .to_series()
        )
        columns = {col: mapped.get_column(col) for col in mapped.columns}
        return RawBatch(finish_frame(columns, lines, locations), empty_problems())


def _known(country: pl.Expr) -> pl.Expr:
    """The data set writes an unknown country as 'ZZ'; riskhub calls that missing."""
    return pl.when(country != "ZZ").then(country)
