"""Hand-built declarations for the matching tests: one item row per dict, header repeated."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import polars as pl

T0 = datetime(2026, 6, 1, 8, 0)
LATER = T0 + timedelta(days=10)  # a "now" by which every exit in these tests is judged

ITEM = {"hs_code": "852872", "origin_country": "CN", "net_mass": 1000.0, "gross_mass": 1050.0,
        "customs_value_eur": 10_000.0}  # fmt: skip


def declaration(
    party: str,
    reference: str,
    *,
    at: datetime = T0,
    items: list[dict[str, Any]] | None = None,
    vehicle: str | None = "RS-1000-01",
    container: str | None = None,
    export_reference: str | None = None,
    dispatch: str | None = None,
    weighbridge: float | None = None,
    total_gross: float | None = None,
    direction: str = "EXPORT",
) -> list[dict[str, Any]]:
    """Item rows of one declaration; each item is ``ITEM`` updated with what is given."""
    rows = []
    specs = items if items is not None else [{}]
    for no, spec in enumerate(specs, start=1):
        item = {**ITEM, "item_no": no, **spec}
        rows.append(
            {
                "party": party,
                "reference": reference,
                "direction": direction,
                "office": f"{party}-OFF",
                "lodged_at": at - timedelta(minutes=30),
                "arrival_at": at,
                "vehicle_registration": vehicle,
                "container_ids": container,
                "export_reference": export_reference,
                "dispatch_country": dispatch,
                "destination_country": None,
                "total_gross_mass": total_gross,
                "weighbridge_mass": weighbridge,
                **item,
            }
        )
    return rows


def entry(party: str, reference: str, **kwargs: Any) -> list[dict[str, Any]]:
    """An import; the goods came from RS unless ``dispatch`` says otherwise."""
    kwargs.setdefault("dispatch", "RS")
    return declaration(party, reference, direction="IMPORT", **kwargs)


SCHEMA = {
    "party": pl.String, "reference": pl.String, "direction": pl.String, "office": pl.String,
    "lodged_at": pl.Datetime("us"), "arrival_at": pl.Datetime("us"),
    "vehicle_registration": pl.String, "container_ids": pl.String,
    "export_reference": pl.String, "dispatch_country": pl.String,
    "destination_country": pl.String, "total_gross_mass": pl.Float64,
    "weighbridge_mass": pl.Float64, "item_no": pl.Int64, "hs_code": pl.String,
    "origin_country": pl.String, "net_mass": pl.Float64, "gross_mass": pl.Float64,
    "customs_value_eur": pl.Float64,
}  # fmt: skip


def frame(*declarations: list[dict[str, Any]]) -> pl.DataFrame:
    rows = [row for d in declarations for row in d]
    return pl.DataFrame(rows, schema=SCHEMA) if rows else pl.DataFrame(schema=SCHEMA)
