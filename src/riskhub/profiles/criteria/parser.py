"""Turn the ``criteria`` part of a profile into the typed tree.

The shape analysts write::

    all:
      - hs_code: {startswith: ["61", "62"]}
      - origin_country: [CN, BD]              # a list means "in"
      - trader: {in_list: watched_traders}
      - not: {preferential_origin: false}     # a scalar means "equals"
      - total_gross_mass: {lt: {field: weighbridge_mass, factor: 0.9}}
      - lodged_at: {weekday: [sat, sun], hour: [22, 6]}

Only the shape is checked here; whether a field exists and whether a value
suits it is the validators' job, so that all problems are reported at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from typing import Any

from riskhub.profiles.criteria import tree as t
from riskhub.profiles.criteria.source import PathKey, Source, SourceError

LOGICAL = ("all", "any", "not")
WEEKDAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _weekday(day: Any) -> int | None:
    """ISO number of a weekday written as mon, Monday or 1 (Monday) ... 7 (Sunday)."""
    if isinstance(day, int) and not isinstance(day, bool):
        return day if 1 <= day <= 7 else None
    text = str(day).strip().lower()
    if text in WEEKDAYS:
        return WEEKDAYS[text]
    return _DAY_NAMES.index(text) + 1 if text in _DAY_NAMES else None


LIMIT = 9e15  # above this, numbers lose whole-number precision as 64-bit floats


def plausible(number: float) -> bool:
    """Finite and within ``LIMIT`` (a huge YAML integer does not even fit a float)."""
    try:
        value = float(number)
    except OverflowError:
        return False
    return math.isfinite(value) and abs(value) <= LIMIT


class CriteriaError(SourceError):
    """The criteria are not in a shape we can read."""


def parse(source: Source, path: PathKey = ("criteria",)) -> t.Node:
    """The tree of the criteria found at ``path`` of the source; the first problem is raised."""
    tree, problems = parse_all(source, path)
    if problems:
        raise problems[0]
    assert tree is not None
    return tree


def parse_all(
    source: Source, path: PathKey = ("criteria",)
) -> tuple[t.Node | None, list[CriteriaError]]:
    """The tree and every shape problem: a bad condition is left out, its siblings still read.

    The partial tree is for validators to find the other problems in the same pass;
    it is never compiled while any problem stands.
    """
    value = source.data
    for key in path:
        if isinstance(value, dict):
            value = value.get(key)
        elif isinstance(value, list) and isinstance(key, int) and key < len(value):
            value = value[key]
        else:
            value = None
    if value is None:
        return None, [CriteriaError(source.loc(path), "a profile needs criteria")]
    parser = _Parser(source)
    tree = parser.guarded(parser.node, value, path)
    return tree, sorted(parser.problems, key=lambda e: (e.loc.line, e.loc.column))


class _Parser:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.problems: list[CriteriaError] = []

    def fail(self, path: PathKey, message: str) -> CriteriaError:
        return CriteriaError(self.source.loc(path), message)

    def guarded(self, read: Callable[[Any, PathKey], t.Node], value: Any, path: PathKey) -> t.Node:
        """``read(value, path)``, or, when it is malformed, a note of why and an empty stand-in."""
        try:
            return read(value, path)
        except CriteriaError as error:
            self.problems.append(error)
            return t.All((), self.source.loc(path))

    def node(self, value: Any, path: PathKey) -> t.Node:
        if not isinstance(value, dict) or not value:
            raise self.fail(path, "expected a condition: 'all', 'any', 'not' or a field name")
        parts = [
            self.guarded(partial(self.entry, key), inner, (*path, key))
            for key, inner in value.items()
        ]
        return parts[0] if len(parts) == 1 else t.All(tuple(parts), self.source.loc(path))

    def entry(self, key: str, value: Any, path: PathKey) -> t.Node:
        loc = self.source.loc(path)
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise self.fail(path, f"'{key}' takes a list of at least one condition")
            children = tuple(self.guarded(self.node, v, (*path, i)) for i, v in enumerate(value))
            return t.All(children, loc) if key == "all" else t.AnyOf(children, loc)
        if key == "not":
            return t.Not(self.node(value, path), loc)
        return self.field(key, value, path)

    def single_values(self, values: list[Any], path: PathKey) -> None:
        for i, value in enumerate(values):
            if isinstance(value, list | dict) or value is None:
                raise self.fail((*path, i), "a list holds single values, e.g. [CN, BD]")

    def field(self, name: str, value: Any, path: PathKey) -> t.Node:
        if isinstance(value, list):
            self.single_values(value, path)
            return t.InValues(name, tuple(value), False, self.source.loc(path))
        if not isinstance(value, dict):
            return t.Compare(name, "eq", value, self.source.loc(path))
        if not value:
            raise self.fail(path, f"no operator given for '{name}'")
        tests = [
            self.guarded(partial(self.operator, name, op), arg, (*path, op))
            for op, arg in value.items()
        ]
        return tests[0] if len(tests) == 1 else t.All(tuple(tests), self.source.loc(path))

    def operator(self, name: str, op: str, arg: Any, path: PathKey) -> t.Node:
        build = OPERATORS.get(op)
        if build is None:
            known = ", ".join(OPERATORS)
            raise self.fail(path, f"unknown operator '{op}' for '{name}' (known: {known})")
        return build(self, name, arg, path)

    # -- operator readers ------------------------------------------------------------

    @staticmethod
    def compare(op: t.CompareOp) -> Callable[[_Parser, str, Any, PathKey], t.Node]:
        def read(self: _Parser, name: str, arg: Any, path: PathKey) -> t.Node:
            loc = self.source.loc(path)
            if isinstance(arg, dict):
                if set(arg) - {"field", "factor"} or "field" not in arg:
                    raise self.fail(path, "compare to another field as {field: NAME, factor: N}")
                factor = arg.get("factor", 1)
                if isinstance(factor, bool) or not isinstance(factor, int | float):
                    raise self.fail((*path, "factor"), "factor must be a number")
                if not plausible(factor):
                    raise self.fail(
                        (*path, "factor"), f"factor must be finite and at most {LIMIT:g}"
                    )
                return t.Compare(name, op, t.FieldRef(str(arg["field"]), float(factor)), loc)
            if isinstance(arg, list | type(None)):
                raise self.fail(path, f"'{OP_NAMES[op]}' takes one value")
            return t.Compare(name, op, arg, loc)

        return read

    @staticmethod
    def values(negate: bool) -> Callable[[_Parser, str, Any, PathKey], t.Node]:
        def read(self: _Parser, name: str, arg: Any, path: PathKey) -> t.Node:
            if not isinstance(arg, list) or not arg:
                raise self.fail(path, "give a list of at least one value, e.g. [CN, BD]")
            self.single_values(arg, path)
            return t.InValues(name, tuple(arg), negate, self.source.loc(path))

        return read

    @staticmethod
    def named_list(negate: bool) -> Callable[[_Parser, str, Any, PathKey], t.Node]:
        def read(self: _Parser, name: str, arg: Any, path: PathKey) -> t.Node:
            if not isinstance(arg, str) or not arg:
                raise self.fail(path, "give the name of a named list")
            return t.InList(name, arg, negate, self.source.loc(path))

        return read

    def startswith(self, name: str, arg: Any, path: PathKey) -> t.Node:
        prefixes = arg if isinstance(arg, list) else [arg]
        if not prefixes or any(isinstance(p, bool | dict | list) for p in prefixes):
            raise self.fail(path, "give a prefix or a list of prefixes, e.g. ['61', '6204']")
        # YAML reads 61 as a number; an HS prefix is text (and 0-leading ones must be quoted).
        return t.StartsWith(name, tuple(str(p) for p in prefixes), self.source.loc(path))

    def contains(self, name: str, arg: Any, path: PathKey) -> t.Node:
        if not isinstance(arg, str) or not arg:
            raise self.fail(path, "give the text the value starts with, e.g. PHYTO")
        return t.Contains(name, arg, self.source.loc(path))

    def between(self, name: str, arg: Any, path: PathKey) -> t.Node:
        if not isinstance(arg, list) or len(arg) != 2:
            raise self.fail(path, "'between' takes two values: [low, high]")
        return t.Between(name, arg[0], arg[1], self.source.loc(path))

    def missing(self, name: str, arg: Any, path: PathKey) -> t.Node:
        if not isinstance(arg, bool):
            raise self.fail(path, "'missing' takes true or false")
        return t.Missing(name, arg, self.source.loc(path))

    def dates(self, name: str, arg: Any, path: PathKey) -> t.Node:
        if not isinstance(arg, list) or len(arg) != 2:
            raise self.fail(path, "'dates' takes two dates: [2026-12-01, 2026-12-31]")
        start, end = (self._date(v, (*path, i)) for i, v in enumerate(arg))
        if end < start:
            raise self.fail(path, "the window ends before it starts")
        return t.DateWindow(name, start, end, self.source.loc(path))

    def _date(self, value: Any, path: PathKey) -> date:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(path, f"'{value}' is not a date (write YYYY-MM-DD)") from None

    def weekday(self, name: str, arg: Any, path: PathKey) -> t.Node:
        days = arg if isinstance(arg, list) else [arg]
        out = []
        for i, day in enumerate(days):
            number = _weekday(day)
            if number is None:
                raise self.fail((*path, i), f"'{day}' is not a weekday (mon ... sun, or 1 ... 7)")
            out.append(number)
        return t.Weekday(name, tuple(sorted(set(out))), self.source.loc(path))

    def hour(self, name: str, arg: Any, path: PathKey) -> t.Node:
        ok = isinstance(arg, list) and len(arg) == 2
        if not ok or any(isinstance(h, bool) or not isinstance(h, int) for h in arg):
            raise self.fail(path, "'hour' takes [from, to] in whole hours, e.g. [22, 6]")
        start, end = arg
        if not (0 <= start <= 23 and 0 <= end <= 24) or start == end:
            raise self.fail(path, "hours run from 0 to 24 and the window cannot be empty")
        return t.HourWindow(name, start, end, self.source.loc(path))


OP_NAMES: dict[t.CompareOp, str] = {
    "eq": "equals",
    "ne": "not_equals",
    "gt": "gt",
    "gte": "gte",
    "lt": "lt",
    "lte": "lte",
}
OPERATORS: dict[str, Callable[[_Parser, str, Any, PathKey], t.Node]] = {
    **{word: _Parser.compare(op) for op, word in OP_NAMES.items()},
    "in": _Parser.values(False),
    "not_in": _Parser.values(True),
    "in_list": _Parser.named_list(False),
    "not_in_list": _Parser.named_list(True),
    "startswith": _Parser.startswith,
    "contains": _Parser.contains,
    "between": _Parser.between,
    "missing": _Parser.missing,
    "dates": _Parser.dates,
    "weekday": _Parser.weekday,
    "hour": _Parser.hour,
}
