"""The fields a risk profile's criteria may test, and their types.

Analysts write criteria against the declaration's own fields (one row per goods
item, header fields repeated) and against derived fields defined here once.
Row-level derived fields (unit values, mass difference, dispatch vs origin) are
computed by each backend from the base fields; history fields (reference
prices, trader age and record, new trader or route) need stored history, so
``riskhub.profiles.history`` computes them into columns before evaluation and
every backend reads them as given.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from riskhub.declarations.fields import FIELDS, Kind


class FieldType(StrEnum):
    TEXT = "text"  # free text or an identifier (trader, vehicle, reference)
    CODE = "code"  # a coded value (country, office, currency, HS code)
    NUMBER = "number"
    DATETIME = "datetime"
    BOOL = "bool"
    LIST = "list"  # several values, ';'-separated


class Origin(StrEnum):
    DECLARED = "declared"  # a field of the declaration as lodged
    ROW = "row"  # derived from the row's own fields by every backend
    HISTORY = "history"  # derived from stored history before evaluation
    EXCHANGE = "exchange"  # matched against what another administration sent (SEED)
    REGISTRY = "registry"  # checked against a registry when decided (LPCO)


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: FieldType
    origin: Origin
    doc: str
    list_kind: str | None = None  # the kind of named list its values can be looked up in


_KIND_TYPES = {
    Kind.TEXT: FieldType.TEXT,
    Kind.CODE: FieldType.CODE,
    Kind.INT: FieldType.NUMBER,
    Kind.FLOAT: FieldType.NUMBER,
    Kind.BOOL: FieldType.BOOL,
    Kind.DATETIME: FieldType.DATETIME,
    Kind.LIST: FieldType.LIST,
}

# Which named lists a field's values can be checked against.
_LIST_KINDS = {
    "declarant": "broker",
    "importer": "trader",
    "exporter": "trader",
    "seller": "trader",
    "carrier": "carrier",
    "trader": "trader",
    "vehicle_registration": "vehicle",
    "hs_code": "hs",
    "dispatch_country": "country",
    "destination_country": "country",
    "origin_country": "country",
    "office": "office",
}

# Not for criteria: free JSON, and what is only known after control.
_NOT_CRITERIA = {"extra", "known_outcome", "known_critical", "known_revenue_eur"}

T, N, B = FieldType.TEXT, FieldType.NUMBER, FieldType.BOOL
ROW_FIELDS: tuple[Field, ...] = (
    Field("unit_value_kg", N, Origin.ROW, "customs value in EUR per kg net mass"),
    Field("unit_value_unit", N, Origin.ROW, "customs value in EUR per supplementary unit"),
    Field(
        "mass_difference_pct",
        N,
        Origin.ROW,
        "weighbridge mass minus declared gross mass, in percent of the declared",
    ),
    Field("dispatch_differs_from_origin", B, Origin.ROW, "dispatch country is not the origin"),
    Field(
        "trader",
        T,
        Origin.ROW,
        "the trader the declaration is about: importer, or exporter on an export",
        "trader",
    ),
)
HISTORY_FIELDS: tuple[Field, ...] = (
    Field(
        "reference_unit_value_kg",
        N,
        Origin.HISTORY,
        "median unit value per kg of the same HS6 and origin over the previous 365 days",
    ),
    Field(
        "unit_value_deviation_pct",
        N,
        Origin.HISTORY,
        "unit value per kg against the reference, in percent (-60 = 60% below)",
    ),
    Field(
        "unit_value_percentile",
        N,
        Origin.HISTORY,
        "percentile (0-100) of the unit value per kg among the previous 365 days' "
        "items of the same HS6 and origin",
    ),
    Field("reference_items", N, Origin.HISTORY, "items behind the reference price"),
    Field(
        "trader_age_days",
        N,
        Origin.HISTORY,
        "days since the trader's first declaration within the previous 365 days (0 if new)",
    ),
    Field("trader_declarations_90d", N, Origin.HISTORY, "trader's declarations, previous 90 days"),
    Field(
        "trader_hits_365d",
        N,
        Origin.HISTORY,
        "trader's declarations found non-compliant, previous 365 days",
    ),
    Field("new_trader", B, Origin.HISTORY, "no declaration of the trader in the previous 365 days"),
    Field(
        "new_route",
        B,
        Origin.HISTORY,
        "no declaration of the trader from this dispatch country through this office "
        "in the previous 365 days",
    ),
)

L = FieldType.LIST
SEED_FIELDS: tuple[Field, ...] = (
    Field(
        "seed_paired",
        B,
        Origin.EXCHANGE,
        "the entry declaration is paired with the export declaration the Party of exit sent",
    ),
    Field(
        "seed_discrepancy",
        B,
        Origin.EXCHANGE,
        "SEED matching found a discrepancy between this entry declaration and its export",
    ),
    Field(
        "seed_discrepancy_kinds",
        L,
        Origin.EXCHANGE,
        "the discrepancies found: hs6_changed, origin_changed, mass_mismatch, undervaluation, "
        "item_count_changed, weighbridge_mismatch",
    ),
)

# Filled by the LPCO checks when a declaration is decided; unknown (null) where an item
# cites no LPCO, passes every check, or its Party keeps no LPCO registry.
REGISTRY_FIELDS: tuple[Field, ...] = (
    Field(
        "lpco_problem",
        T,
        Origin.REGISTRY,
        "the most severe LPCO check the item failed: revoked, suspended, unknown, expired, "
        "not_yet_valid, holder_mismatch, outside_hs_scope, amount_not_declared, "
        "allowance_exceeded",
    ),
    Field(
        "lpco_problems",
        L,
        Origin.REGISTRY,
        "every LPCO check the item failed (the same words as lpco_problem); test with contains",
    ),
)


def _declared() -> tuple[Field, ...]:
    return tuple(
        Field(f.name, _KIND_TYPES[f.kind], Origin.DECLARED, f.doc, _LIST_KINDS.get(f.name))
        for f in FIELDS
        if f.name not in _NOT_CRITERIA
    )


VOCABULARY: dict[str, Field] = {
    f.name: f for f in (*_declared(), *ROW_FIELDS, *HISTORY_FIELDS, *SEED_FIELDS, *REGISTRY_FIELDS)
}
LIST_KINDS: frozenset[str] = frozenset(k for f in VOCABULARY.values() if (k := f.list_kind))
# The columns an evaluation frame must carry: declared, history, exchange and registry fields.
INPUT_COLUMNS: tuple[str, ...] = tuple(
    f.name for f in VOCABULARY.values() if f.origin is not Origin.ROW
)
