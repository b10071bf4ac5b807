"""Criteria as a SQL boolean expression, for database-side queries (DuckDB, PostgreSQL).

The expression reads the declared and history fields as columns of one row
per goods item; row-level derived fields are inlined from ``derived``. Values
are written as literals after validation (they are numbers, dates, or text
whose quotes are doubled), never pasted from raw input.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from riskhub.profiles.criteria import tree as t
from riskhub.profiles.criteria.backends.base import CriteriaBackend, Lists
from riskhub.profiles.criteria.backends.derived import DERIVED


def column(name: str) -> str:
    derived = DERIVED.get(name)
    if derived:
        return f"({derived[1]})"
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a field name: {name!r}")
    return f'"{name}"'


def literal(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("criteria numbers must be finite")
        return repr(value)
    if isinstance(value, datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def _one_of(expr: str, values: Iterable[Any]) -> str:
    return f"{expr} IN ({', '.join(literal(v) for v in values)})"


class SqlBackend(CriteriaBackend[str]):
    """Compiles to ``COALESCE((...), FALSE)``: true exactly where the polars engine hits."""

    name = "sql"

    def compile(self, node: t.Node, *, lists: Lists) -> str:
        return f"COALESCE({self.expr(node, lists)}, FALSE)"

    def expr(self, node: t.Node, lists: Lists) -> str:
        match node:
            case t.All(children=children):
                return "(" + " AND ".join(self.expr(c, lists) for c in children) + ")"
            case t.AnyOf(children=children):
                return "(" + " OR ".join(self.expr(c, lists) for c in children) + ")"
            case t.Not(child=child):
                return f"(NOT {self.expr(child, lists)})"
            case t.Compare(field=name, op=op, value=value):
                if isinstance(value, t.FieldRef):
                    # A DOUBLE factor: a DECIMAL literal (as 1.1 is read) would make integer
                    # columns exact, so 55 >= 50 * 1.1 would hold here and not in polars.
                    factor = f"CAST({literal(value.factor)} AS DOUBLE PRECISION)"
                    right = f"({column(value.field)} * {factor})"
                else:
                    right = literal(value)
                return f"({column(name)} {_OPS[op]} {right})"
            case t.Between(field=name, low=low, high=high):
                return f"({column(name)} BETWEEN {literal(low)} AND {literal(high)})"
            case t.InValues(field=name, values=values, negate=negate):
                test = _one_of(column(name), values)
                return f"(NOT ({test}))" if negate else f"({test})"
            case t.InList(field=name, list_name=list_name, negate=negate):
                members = sorted(lists[list_name])
                # An empty list holds nothing: "in" is false, "not in" is true (if known).
                never = f"({column(name)} <> {column(name)})"
                test = _one_of(column(name), members) if members else never
                return f"(NOT ({test}))" if negate else f"({test})"
            case t.StartsWith(field=name, prefixes=prefixes):
                tests = [f"(substr({column(name)}, 1, {len(p)}) = {literal(p)})" for p in prefixes]
                return "(" + " OR ".join(tests) + ")"
            case t.Contains(field=name, prefix=prefix):
                return f"(strpos(';' || {column(name)}, {literal(';' + prefix)}) > 0)"
            case t.Missing(field=name, missing=missing):
                return f"({column(name)} IS {'' if missing else 'NOT '}NULL)"
            case t.DateWindow(field=name, start=start, end=end):
                return f"(CAST({column(name)} AS DATE) BETWEEN {literal(start)} AND {literal(end)})"
            case t.Weekday(field=name, days=days):
                return f"({_one_of(f'EXTRACT(ISODOW FROM {column(name)})', days)})"
            case t.HourWindow(field=name, start=start, end=end):
                hour = f"EXTRACT(HOUR FROM {column(name)})"
                joiner = "AND" if start < end else "OR"
                return f"(({hour} >= {start}) {joiner} ({hour} < {end}))"
        raise TypeError(f"no SQL form for {node!r}")


_OPS = {"eq": "=", "ne": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
