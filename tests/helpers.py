"""Small builders of declaration rows for tests."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

HEADER: dict[str, Any] = {
    "party": "RS",
    "direction": "IMPORT",
    "procedure_code": "4000",
    "office": "RS-PRE",
    "lodged_at": "2026-06-01T08:00:00Z",
    "declarant": "RSB10001",
    "importer": "RS100000001",
    "exporter": "MK100000002",
    "dispatch_country": "MK",
    "destination_country": "RS",
    "transport_mode": "3",
    "invoice_currency": "EUR",
}
ITEM: dict[str, Any] = {
    "hs_code": "847130",
    "description": "Laptops",
    "origin_country": "CN",
    "net_mass": "100",
    "gross_mass": "110",
    "customs_value_eur": "5000",
    "duty_rate": "0",
}


def rows(reference: str, n_items: int = 2, **overrides: Any) -> list[dict[str, Any]]:
    """Flat item rows of one valid declaration; overrides apply to every row."""
    return [
        {**HEADER, "reference": reference, **ITEM, "item_no": str(k), **overrides}
        for k in range(1, n_items + 1)
    ]


def nested(reference: str, n_items: int = 2, **header: Any) -> dict[str, Any]:
    """One valid declaration as a JSON object with an items list."""
    items = [{**ITEM, "item_no": k} for k in range(1, n_items + 1)]
    return {**HEADER, "reference": reference, **header, "items": items}


def write_csv(path: Path, records: list[dict[str, Any]]) -> Path:
    columns: list[str] = []
    for record in records:
        columns.extend(c for c in record if c not in columns)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(records)
    return path
