"""Why the model scored a declaration high, in sentences an officer understands.

LightGBM gives each feature's contribution to the log-odds of one row
(``pred_contrib``). The largest positive ones are turned into plain words
with the row's own values: which goods, origin, trader or route has had
discrepancies before, and how unusual the declared value is.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

KEY_WORDS = {
    "hs6": "goods under HS {hs6}",
    "hs4": "goods under HS {hs4}",
    "hs2": "goods of HS chapter {hs2}",
    "hs_origin": "HS {hs6} from {origin}",
    "hs_importer": "this importer's HS {hs6}",
    "route": "the route {departure} → {origin}",
    "origin": "goods from {origin}",
    "declarant": "declarant {declarant}",
    "importer": "importer {importer}",
    "declarant_importer": "this declarant with this importer",
    "seller": "seller {seller}",
    "office": "office {office}",
    "tax_type": "tax type {tax_type}",
}


def sentence(name: str, value: float, row: dict[str, Any]) -> str:
    """One feature's reason in words, with the row's values."""
    kind, _, key = name.partition("_")
    subject = KEY_WORDS.get(key, key).format_map(_Blank(row))
    if kind == "rate":
        return f"{subject}: {value:.0%} of past inspections found a discrepancy"
    if kind == "seen":
        return f"{subject} is rare in past declarations"
    if name == "unit_value_gap":
        ratio = math.expm1(abs(value))
        side = "below" if value < 0 else "above"
        return f"unit value {min(ratio, 99):.0%} {side} what these goods usually declare"
    if name == "log_value":
        return f"declared value €{math.expm1(value):,.0f}"
    if name == "log_mass":
        return f"net mass {math.expm1(value):,.0f} kg"
    if name == "log_unit_value":
        return f"unit value €{math.expm1(value):,.2f} per kg"
    if name == "tax_rate":
        return f"duty rate {value:g}%"
    if kind == "code":
        shown = (row.get("hs6") or "")[:2] if key == "hs2" else row.get(key)
        return f"{key.replace('_', ' ')} {shown}"
    return name


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def reasons(
    contributions: np.ndarray[Any, Any], values: np.ndarray[Any, Any], names: list[str],
    rows: list[dict[str, Any]], *, top: int = 3,
) -> list[list[str]]:  # fmt: skip
    """For each row, the ``top`` features that raised its risk most, as sentences."""
    out = []
    for index, row in enumerate(rows):
        contribution = contributions[index, : len(names)]  # the last column is the bias
        order = np.argsort(-contribution)[:top]
        out.append(
            [sentence(names[j], float(values[index, j]), row) for j in order
             if contribution[j] > 0 and not math.isnan(values[index, j])]
        )  # fmt: skip
    return out
