"""Row-level derived fields, defined once here for every backend.

A derived value is missing (null) whenever a part of it is missing or its
divisor is not positive, so no backend divides by zero.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

_EXPORT = "EXPORT"


def _per(numerator: str, divisor: str) -> tuple[pl.Expr, str, Callable[[dict[str, Any]], Any]]:
    def python(row: dict[str, Any]) -> Any:
        top, bottom = row.get(numerator), row.get(divisor)
        return None if top is None or bottom is None or not bottom > 0 else top / bottom

    return (
        pl.when(pl.col(divisor) > 0).then(pl.col(numerator) / pl.col(divisor)),
        f'CASE WHEN "{divisor}" > 0 THEN "{numerator}" / "{divisor}" END',
        python,
    )


def _mass_difference(row: dict[str, Any]) -> Any:
    declared, weighed = row.get("total_gross_mass"), row.get("weighbridge_mass")
    if declared is None or weighed is None or not declared > 0:
        return None
    return (weighed - declared) / declared * 100


def _differs(row: dict[str, Any]) -> Any:
    dispatch, origin = row.get("dispatch_country"), row.get("origin_country")
    return None if dispatch is None or origin is None else dispatch != origin


def _trader(row: dict[str, Any]) -> Any:
    return row.get("exporter") if row.get("direction") == _EXPORT else row.get("importer")


_declared, _weighed = pl.col("total_gross_mass"), pl.col("weighbridge_mass")

# name -> (polars expression, SQL expression, Python function of a row dict)
DERIVED: dict[str, tuple[pl.Expr, str, Callable[[dict[str, Any]], Any]]] = {
    "unit_value_kg": _per("customs_value_eur", "net_mass"),
    "unit_value_unit": _per("customs_value_eur", "quantity"),
    "mass_difference_pct": (
        pl.when(_declared > 0).then((_weighed - _declared) / _declared * 100),
        'CASE WHEN "total_gross_mass" > 0 THEN '
        '("weighbridge_mass" - "total_gross_mass") / "total_gross_mass" * 100 END',
        _mass_difference,
    ),
    "dispatch_differs_from_origin": (
        pl.col("dispatch_country") != pl.col("origin_country"),
        '("dispatch_country" <> "origin_country")',
        _differs,
    ),
    "trader": (
        pl.when(pl.col("direction") == _EXPORT)
        .then(pl.col("exporter"))
        .otherwise(pl.col("importer")),
        f'CASE WHEN "direction" = \'{_EXPORT}\' THEN "exporter" ELSE "importer" END',
        _trader,
    ),
}
