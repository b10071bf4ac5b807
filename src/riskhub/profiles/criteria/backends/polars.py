"""Criteria as polars expressions: the engine for batches and single declarations."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from functools import reduce

import polars as pl

from riskhub.profiles.criteria import tree as t
from riskhub.profiles.criteria.backends.base import CriteriaBackend, Lists
from riskhub.profiles.criteria.backends.derived import DERIVED

_ASCII_DIGITS = re.compile(r"[0-9]+")


def column(name: str) -> pl.Expr:
    derived = DERIVED.get(name)
    return derived[0] if derived else pl.col(name)


class PolarsBackend(CriteriaBackend[pl.Expr]):
    """Compiles to one boolean ``pl.Expr`` per profile; a missing result counts as no hit."""

    name = "polars"

    def compile(self, node: t.Node, *, lists: Lists) -> pl.Expr:
        return self.expr(node, lists).fill_null(False)

    def expr(self, node: t.Node, lists: Lists) -> pl.Expr:
        match node:
            case t.All(children=children):
                return reduce(lambda a, b: a & b, (self.expr(c, lists) for c in children))
            case t.AnyOf(children=children):
                return reduce(lambda a, b: a | b, (self.expr(c, lists) for c in children))
            case t.Not(child=child):
                return ~self.expr(child, lists)
            case t.Compare(field=name, op=op, value=value):
                right = (
                    column(value.field) * value.factor
                    if isinstance(value, t.FieldRef)
                    else pl.lit(value)
                )
                return _COMPARE[op](column(name), right)
            case t.Between(field=name, low=low, high=high):
                return column(name).is_between(low, high, closed="both")
            case t.InValues(field=name, values=values, negate=negate):
                test = _is_in(column(name), values)
                return ~test if negate else test
            case t.InList(field=name, list_name=list_name, negate=negate):
                test = column(name).is_in(sorted(lists[list_name]))
                return ~test if negate else test
            case t.StartsWith(field=name, prefixes=prefixes):
                if name == "hs_code" and all(_ASCII_DIGITS.fullmatch(p) for p in prefixes):
                    return _hs_starts_with(prefixes)
                # Scope columns may arrive as categories (see selectivity.engine): text here.
                return _starts_with(column(name).cast(pl.String), prefixes)
            case t.Contains(field=name, prefix=prefix):
                return (pl.lit(";") + column(name)).str.contains(";" + prefix, literal=True)
            case t.Missing(field=name, missing=missing):
                return column(name).is_null() if missing else column(name).is_not_null()
            case t.DateWindow(field=name, start=start, end=end):
                return column(name).dt.date().is_between(start, end, closed="both")
            case t.Weekday(field=name, days=days):
                return column(name).dt.weekday().is_in(list(days))
            case t.HourWindow(field=name, start=start, end=end):
                hour = column(name).dt.hour()
                if start < end:
                    return (hour >= start) & (hour < end)
                return (hour >= start) | (hour < end)
        raise TypeError(f"no polars form for {node!r}")


def _is_in(value: pl.Expr, values: tuple[t.Scalar, ...]) -> pl.Expr:
    # Polars (>= 2.0) will not look ints up among floats or the reverse, and will not build a
    # list of both: numbers are compared as Float64 on both sides, as SQL and Python do.
    numbers = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) == len(values):
        return value.cast(pl.Float64).is_in(numbers)
    return value.is_in(list(values))


def _starts_with(value: pl.Expr, prefixes: tuple[str, ...]) -> pl.Expr:
    # Prefixes of one length become one hashed lookup of a slice, not N string scans.
    by_length: dict[int, list[str]] = defaultdict(list)
    for prefix in prefixes:
        by_length[len(prefix)].append(prefix)
    tests = [
        value.str.slice(0, size).is_in(sorted(group)) for size, group in sorted(by_length.items())
    ]
    return reduce(lambda a, b: a | b, tests)


def _hs_starts_with(prefixes: tuple[str, ...]) -> pl.Expr:
    # HS codes are digits only (ingest validation), so the first k characters read as an
    # integer equal a k-digit prefix exactly when the strings are equal, provided the code
    # has k characters. Integer lookups are about three times faster than string ones, and
    # the slice-and-parse of each length is shared by every profile in one query.
    code = pl.col("hs_code")
    by_length: dict[int, list[int]] = defaultdict(list)
    for prefix in prefixes:
        by_length[len(prefix)].append(int(prefix))
    tests = [
        code.str.slice(0, size).cast(pl.Int64, strict=False).is_in(sorted(group))
        & (code.str.len_bytes() >= size)
        for size, group in sorted(by_length.items())
    ]
    return reduce(lambda a, b: a | b, tests)


_COMPARE: dict[str, Callable[[pl.Expr, pl.Expr], pl.Expr]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}
