"""Criteria as a Python function of one row: the readable reference, and the slow baseline.

It follows the same three-valued logic as SQL (None is unknown), so tests can
check the fast backends against it and the benchmark can show what per-row
interpretation costs.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from riskhub.profiles.criteria import tree as t
from riskhub.profiles.criteria.backends.base import CriteriaBackend, Lists
from riskhub.profiles.criteria.backends.derived import DERIVED

Row = dict[str, Any]
Test = Callable[[Row], bool | None]


def value_of(row: Row, name: str) -> Any:
    derived = DERIVED.get(name)
    return derived[2](row) if derived else row.get(name)


def _kleene(tests: list[Test], *, decisive: bool) -> Test:
    """``all`` (decisive False) or ``any`` (decisive True) in three-valued logic."""

    def run(row: Row) -> bool | None:
        unknown = False
        for test in tests:
            result = test(row)
            if result is decisive:
                return decisive
            unknown |= result is None
        return None if unknown else not decisive

    return run


def _leaf(name: str, check: Callable[[Any], bool]) -> Test:
    def run(row: Row) -> bool | None:
        value = value_of(row, name)
        return None if value is None else check(value)

    return run


class PythonBackend(CriteriaBackend[Callable[[Row], bool]]):
    """Compiles to ``f(row) -> bool``; row is a dict of declared and history fields."""

    name = "python"

    def compile(self, node: t.Node, *, lists: Lists) -> Callable[[Row], bool]:
        test = self.test(node, lists)
        return lambda row: test(row) is True

    def test(self, node: t.Node, lists: Lists) -> Test:
        match node:
            case t.All(children=children):
                return _kleene([self.test(c, lists) for c in children], decisive=False)
            case t.AnyOf(children=children):
                return _kleene([self.test(c, lists) for c in children], decisive=True)
            case t.Not(child=child):
                inner = self.test(child, lists)
                return lambda row: None if (r := inner(row)) is None else not r
            case t.Compare(field=name, op=op, value=t.FieldRef(field=other, factor=factor)):
                compare = _OPS[op]

                def against_field(row: Row) -> bool | None:
                    left, right = value_of(row, name), value_of(row, other)
                    return None if left is None or right is None else compare(left, right * factor)

                return against_field
            case t.Compare(field=name, op=op, value=value):
                compare = _OPS[op]
                return _leaf(name, lambda v: compare(v, value))
            case t.Between(field=name, low=low, high=high):
                return _leaf(name, lambda v: low <= v <= high)
            case t.InValues(field=name, values=values, negate=negate):
                members = frozenset(values)
                return _leaf(name, lambda v: (v in members) != negate)
            case t.InList(field=name, list_name=list_name, negate=negate):
                listed = frozenset(lists[list_name])
                return _leaf(name, lambda v: (v in listed) != negate)
            case t.StartsWith(field=name, prefixes=prefixes):
                return _leaf(name, lambda v: v.startswith(prefixes))
            case t.Contains(field=name, prefix=prefix):
                return _leaf(name, lambda v: (";" + prefix) in (";" + v))
            case t.Missing(field=name, missing=missing):
                return lambda row: (value_of(row, name) is None) == missing
            case t.DateWindow(field=name, start=start, end=end):
                return _leaf(name, lambda v: start <= v.date() <= end)
            case t.Weekday(field=name, days=days):
                return _leaf(name, lambda v: v.isoweekday() in days)
            case t.HourWindow(field=name, start=start, end=end):
                if start < end:
                    return _leaf(name, lambda v: start <= v.hour < end)
                return _leaf(name, lambda v: v.hour >= start or v.hour < end)
        raise TypeError(f"no Python form for {node!r}")


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
