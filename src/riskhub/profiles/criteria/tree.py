"""The typed tree a profile's criteria are parsed into.

Every node keeps where it came from in the analyst's file, so validators and
backends can point back to the line. Leaves test one field; ``All``, ``AnyOf``
and ``Not`` combine them. Backends compile this tree, never the raw YAML.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

Scalar = str | int | float | bool | date | datetime


@dataclass(frozen=True, slots=True)
class Loc:
    """A place in the analyst's file: 1-based line and column, and the key path."""

    line: int
    column: int
    path: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column} ({self.path})"


NOWHERE = Loc(0, 0, "")


@dataclass(frozen=True, slots=True)
class FieldRef:
    """Another field of the same row, times a factor (for field-to-field comparisons)."""

    field: str
    factor: float = 1.0


CompareOp = Literal["eq", "ne", "gt", "gte", "lt", "lte"]


@dataclass(frozen=True, slots=True)
class Compare:
    field: str
    op: CompareOp
    value: Scalar | FieldRef
    loc: Loc = dataclasses.field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Between:
    """low <= field <= high."""

    field: str
    low: float
    high: float
    loc: Loc = dataclasses.field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class InValues:
    field: str
    values: tuple[Scalar, ...]
    negate: bool = False
    loc: Loc = dataclasses.field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class InList:
    """The field's value is (or is not) on a named list, resolved when compiling."""

    field: str
    list_name: str
    negate: bool = False
    loc: Loc = dataclasses.field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class StartsWith:
    """The code starts with one of the prefixes (HS chapter, heading, subheading)."""

    field: str
    prefixes: tuple[str, ...]
    loc: Loc = dataclasses.field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Contains:
    """A list field (licences, containers) holds a value starting with the prefix."""

    field: str
    prefix: str
    loc: Loc = dataclasses.field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Missing:
    """The field is empty (``missing: true``) or present (``missing: false``)."""

    field: str
    missing: bool = True
    loc: Loc = dataclasses.field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class DateWindow:
    """The field's calendar date is within [start, end], both included."""

    field: str
    start: date
    end: date
    loc: Loc = dataclasses.field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Weekday:
    """The field falls on one of the ISO weekdays (1 = Monday ... 7 = Sunday)."""

    field: str
    days: tuple[int, ...]
    loc: Loc = dataclasses.field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class HourWindow:
    """start <= hour < end; a window past midnight (22 to 6) wraps."""

    field: str
    start: int
    end: int
    loc: Loc = dataclasses.field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class All:
    children: tuple[Node, ...]
    loc: Loc = dataclasses.field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class AnyOf:
    children: tuple[Node, ...]
    loc: Loc = dataclasses.field(default=NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Not:
    child: Node
    loc: Loc = dataclasses.field(default=NOWHERE, compare=False)


Leaf = Compare | Between | InValues | InList | StartsWith | Contains | Missing | DateWindow
Node = Leaf | Weekday | HourWindow | All | AnyOf | Not


def walk(node: Node) -> list[Node]:
    """The node and all its descendants, parents first."""
    out: list[Node] = [node]
    if isinstance(node, All | AnyOf):
        for child in node.children:
            out.extend(walk(child))
    elif isinstance(node, Not):
        out.extend(walk(node.child))
    return out


def fields_used(node: Node) -> set[str]:
    """Every field the criteria read, including the right side of comparisons."""
    used: set[str] = set()
    for n in walk(node):
        if isinstance(n, All | AnyOf | Not):
            continue
        used.add(n.field)
        if isinstance(n, Compare) and isinstance(n.value, FieldRef):
            used.add(n.value.field)
    return used


def lists_used(node: Node) -> set[str]:
    return {n.list_name for n in walk(node) if isinstance(n, InList)}
