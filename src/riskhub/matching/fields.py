"""SEED fields for risk profiles: each entry declaration matched, as it is decided, with its export.

When an import or transit declaration is lodged, the export the Party of exit
sent for it (pre-arrival data, found by the export reference it quotes) is
already on this hub. Matching the two there and then lets a profile say "a
discrepancy with the export makes it red" before the truck is released, rather
than in a report afterwards. Only the export the declaration names is read
here; pairing by vehicle or container is the batch job's (``riskhub match run``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from riskhub.exchange.documents import documents
from riskhub.exchange.messages import MessageType
from riskhub.matching.engine import match
from riskhub.matching.service import exit_rows
from riskhub.profiles.criteria.vocabulary import SEED_FIELDS

SEED_COLUMNS = tuple(f.name for f in SEED_FIELDS)
_ENTRY = ("IMPORT", "TRANSIT")


def exits_for(*, session: Session | Connection, party: str, frame: pl.DataFrame) -> pl.DataFrame:
    """The exports ``frame``'s entry declarations quote, as the Party of exit sent them."""
    if "export_reference" not in frame.columns:
        return pl.DataFrame()
    quoted = frame.get_column("export_reference").drop_nulls().unique().to_list()
    if not quoted:
        return pl.DataFrame()
    found = documents(
        session=session, party=party, type=MessageType.EXPORT_DECLARATION, keys=quoted
    )  # fmt: skip
    return exit_rows(found)


def with_seed(frame: pl.DataFrame, exits: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with the SEED fields, from matching its entry declarations with ``exits``."""
    base = frame.drop(SEED_COLUMNS, strict=False)
    blank = base.with_columns(
        pl.lit(False).alias("seed_paired"),
        pl.lit(False).alias("seed_discrepancy"),
        pl.lit(None, pl.String).alias("seed_discrepancy_kinds"),
    )
    entries = base.filter(pl.col("direction").is_in(_ENTRY))
    if not exits.height or not entries.height:
        return blank
    earliest = exits.get_column("lodged_at").min()
    assert isinstance(earliest, datetime)
    # "Now" before every export: a missing entry is the batch job's to judge, not this one's.
    result = match(exits, entries, now=earliest - timedelta(days=1))
    paired = result.pairs.select(
        pl.col("entry_party").alias("party"), pl.col("entry_reference").alias("reference"),
        pl.lit(True).alias("_paired"),
    )  # fmt: skip
    kinds = (
        result.findings.filter(pl.col("entry_reference").is_not_null())
        .group_by(
            pl.col("entry_party").alias("party"), pl.col("entry_reference").alias("reference")
        )
        .agg(pl.col("kind").unique().sort().str.join(";").alias("_kinds"))
    )
    return (
        base.join(paired, on=["party", "reference"], how="left")
        .join(kinds, on=["party", "reference"], how="left")
        .with_columns(
            pl.col("_paired").fill_null(False).alias("seed_paired"),
            pl.col("_kinds").is_not_null().alias("seed_discrepancy"),
            pl.col("_kinds").alias("seed_discrepancy_kinds"),
        )
        .drop("_paired", "_kinds")
    )
