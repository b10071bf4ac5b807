"""The fields of a declaration, as one flat row per goods item.

This is the single description of a declaration that every reader, the
validator, the database tables and the API schemas follow. It is aligned with
the WCO Data Model and the EU import (H1) / export data sets, reduced to what
risk management uses. Header fields repeat on every item row of a declaration.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a raw text value is read."""

    TEXT = "text"
    CODE = "code"  # upper-cased, no inner spaces: country, party, office, incoterm
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    DATETIME = "datetime"  # stored in UTC
    LIST = "list"  # several values separated by ';' (a JSON array in JSON input)


class Level(StrEnum):
    HEADER = "header"
    ITEM = "item"
    OUTCOME = "outcome"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    level: Level
    kind: Kind
    required: bool = False
    max_len: int | None = None
    doc: str = ""


HEAD, GOODS, KNOWN = Level.HEADER, Level.ITEM, Level.OUTCOME

FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("party", HEAD, Kind.CODE, True, 2, "owning Party (tenant) code, e.g. RS"),
    FieldSpec("reference", HEAD, Kind.TEXT, True, 35, "LRN/MRN, unique per Party"),
    FieldSpec("direction", HEAD, Kind.CODE, True, 8, "IMPORT, EXPORT or TRANSIT"),
    FieldSpec("procedure_code", HEAD, Kind.CODE, False, 4, "procedure, e.g. 4000"),
    FieldSpec("office", HEAD, Kind.CODE, True, 17, "customs office (BCP/CCP) code"),
    FieldSpec("lodged_at", HEAD, Kind.DATETIME, True, None, "lodgement time"),
    FieldSpec("arrival_at", HEAD, Kind.DATETIME, False, None, "arrival of the goods at the office"),
    FieldSpec("declarant", HEAD, Kind.TEXT, True, 35, "declarant / customs broker id (EORI)"),
    FieldSpec("importer", HEAD, Kind.TEXT, False, 35, "importer / consignee id"),
    FieldSpec("exporter", HEAD, Kind.TEXT, False, 35, "exporter / consignor id"),
    FieldSpec("seller", HEAD, Kind.TEXT, False, 35, "seller id"),
    FieldSpec("carrier", HEAD, Kind.TEXT, False, 35, "carrier or courier id"),
    FieldSpec("dispatch_country", HEAD, Kind.CODE, False, 2, "country of dispatch/export"),
    FieldSpec("destination_country", HEAD, Kind.CODE, True, 2, "country of destination"),
    FieldSpec("transport_mode", HEAD, Kind.INT, False, None, "WCO mode at the border, 1-9"),
    FieldSpec("vehicle_registration", HEAD, Kind.TEXT, False, 20, "means of transport at border"),
    FieldSpec("container_ids", HEAD, Kind.LIST, False, None, "ISO 6346 container numbers"),
    FieldSpec("incoterm", HEAD, Kind.CODE, False, 3, "delivery terms, e.g. FCA"),
    FieldSpec("invoice_currency", HEAD, Kind.CODE, False, 3, "ISO 4217 currency of the invoice"),
    FieldSpec("total_gross_mass", HEAD, Kind.FLOAT, False, None, "kg"),
    FieldSpec("weighbridge_mass", HEAD, Kind.FLOAT, False, None, "kg of goods weighed at the BCP"),
    FieldSpec("export_reference", HEAD, Kind.TEXT, False, 35, "export declaration (previous doc)"),
    FieldSpec("extra", HEAD, Kind.TEXT, False, None, "JSON object of source-specific fields"),
    FieldSpec("item_no", GOODS, Kind.INT, True, None, "goods item sequence number, from 1"),
    FieldSpec("hs_code", GOODS, Kind.CODE, True, 10, "commodity code, 6 to 10 digits"),
    FieldSpec("description", GOODS, Kind.TEXT, False, 512, "description of goods"),
    FieldSpec("origin_country", GOODS, Kind.CODE, True, 2, "country of origin"),
    FieldSpec("preferential_origin", GOODS, Kind.BOOL, False, None, "preference claimed"),
    FieldSpec("net_mass", GOODS, Kind.FLOAT, True, None, "kg"),
    FieldSpec("gross_mass", GOODS, Kind.FLOAT, False, None, "kg"),
    FieldSpec("quantity", GOODS, Kind.FLOAT, False, None, "in the supplementary unit"),
    FieldSpec("supplementary_unit", GOODS, Kind.TEXT, False, 10, "e.g. p/st, l, m2"),
    FieldSpec("customs_value_eur", GOODS, Kind.FLOAT, True, None, "statistical/customs value"),
    FieldSpec("duty_rate", GOODS, Kind.FLOAT, False, None, "ad valorem duty, percent"),
    FieldSpec("lpco_refs", GOODS, Kind.LIST, False, None, "licences, permits, certificates"),
    FieldSpec(
        "known_outcome",
        KNOWN,
        Kind.TEXT,
        False,
        40,
        "already-known control result: 'compliant' or the kind of non-compliance",
    ),
    FieldSpec("known_critical", KNOWN, Kind.BOOL, False, None, "the non-compliance was critical"),
    FieldSpec(
        "known_revenue_eur",
        KNOWN,
        Kind.FLOAT,
        False,
        None,
        "duty and taxes recovered by the control, EUR",
    ),
)

BY_NAME: dict[str, FieldSpec] = {f.name: f for f in FIELDS}
HEADER: tuple[str, ...] = tuple(f.name for f in FIELDS if f.level is Level.HEADER)
ITEM: tuple[str, ...] = tuple(f.name for f in FIELDS if f.level is Level.ITEM)
OUTCOME: tuple[str, ...] = tuple(f.name for f in FIELDS if f.level is Level.OUTCOME)
ALL: tuple[str, ...] = tuple(f.name for f in FIELDS)

DIRECTIONS: frozenset[str] = frozenset({"IMPORT", "EXPORT", "TRANSIT"})
INCOTERMS: frozenset[str] = frozenset(
    [
        "EXW",
        "FCA",
        "FAS",
        "FOB",
        "CFR",
        "CIF",
        "CPT",
        "CIP",
        "DAP",
        "DPU",
        "DDP",
        "DAT",
        "DAF",
        "DES",
        "DEQ",
        "DDU",
    ]
)

# Columns every raw frame carries besides the fields: where a row came from.
LINE = "_line"  # 1-based line (CSV/JSONL) or row (Parquet) in the source
LOCATION = "_loc"  # human-readable place, e.g. "traffic.csv line 12" or "... line 4 item 2"
