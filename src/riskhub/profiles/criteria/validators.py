"""Small checks of a parsed criteria tree; each problem names the line and field.

Each validator looks at one thing, so a new rule is a new small class, and
``validate`` runs them all and reports every problem at once (an analyst fixing
a file wants the whole list, not one error per attempt).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from riskhub.profiles.criteria import tree as t
from riskhub.profiles.criteria.parser import LIMIT, plausible
from riskhub.profiles.criteria.vocabulary import VOCABULARY, FieldType
from riskhub.reference.countries import COUNTRY_CODES
from riskhub.reference.hs import VALID_CHAPTERS

COUNTRY_FIELDS = frozenset({"origin_country", "dispatch_country", "destination_country"})
TEXTUAL = (FieldType.TEXT, FieldType.CODE)
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: '²' and Arabic-Indic digits pass str.isdigit


@dataclass(frozen=True, slots=True)
class Problem:
    loc: t.Loc
    message: str

    def __str__(self) -> str:
        return f"{self.loc}: {self.message}"


class Validator:
    """One rule about criteria. ``check`` sees every node and returns what is wrong with it.

    ``lists`` maps each named list the author can see to its kind (trader, hs, ...).
    """

    def check(self, node: t.Node, lists: Mapping[str, str]) -> list[Problem]:
        raise NotImplementedError


def _type_of(name: str) -> FieldType | None:
    found = VOCABULARY.get(name)
    return found.type if found else None


def _suits(value: object, kind: FieldType) -> bool:
    if kind is FieldType.NUMBER:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is FieldType.BOOL:
        return isinstance(value, bool)
    if kind in TEXTUAL:
        return isinstance(value, str)
    return False


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return f"the truth value {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, datetime | date):
        return f"the date {value}"
    return f"'{value}'"


class KnownFields(Validator):
    """Every field named exists in the vocabulary (with a suggestion if misspelt)."""

    def check(self, node: t.Node, lists: Mapping[str, str]) -> list[Problem]:
        if isinstance(node, t.All | t.AnyOf | t.Not):
            return []
        names = [node.field]
        if isinstance(node, t.Compare) and isinstance(node.value, t.FieldRef):
            names.append(node.value.field)
        problems = []
        for name in names:
            if name not in VOCABULARY:
                close = difflib.get_close_matches(name, VOCABULARY, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                problems.append(Problem(node.loc, f"unknown field '{name}'{hint}"))
        return problems


class ValuesSuitFields(Validator):
    """A number is compared to a number, a country to a code, a date to a datetime..."""

    def check(self, node: t.Node, lists: Mapping[str, str]) -> list[Problem]:
        if isinstance(node, t.All | t.AnyOf | t.Not | t.InList):
            return []
        kind = _type_of(node.field)
        if kind is None:
            return []  # KnownFields reports it
        wrong = self._wrong(node, kind)
        return [Problem(node.loc, wrong)] if wrong else []

    def _wrong(self, node: t.Node, kind: FieldType) -> str | None:
        name = getattr(node, "field", "")
        if isinstance(node, t.Compare):
            if isinstance(node.value, t.FieldRef):
                other = _type_of(node.value.field)
                if kind is not FieldType.NUMBER or (other and other is not FieldType.NUMBER):
                    return f"'{name}' can only be compared to another field when both are numbers"
                return None
            if node.op not in ("eq", "ne") and kind is not FieldType.NUMBER:
                return f"'{name}' is {kind}, not a number: it cannot be greater or less"
            if kind in (FieldType.DATETIME, FieldType.LIST):
                hint = "dates, weekday or hour" if kind is FieldType.DATETIME else "contains"
                return f"'{name}' is {kind}: use {hint} instead of equals"
            if not _suits(node.value, kind):
                return f"'{name}' is {kind}, so it cannot be compared to {_describe(node.value)}"
        elif isinstance(node, t.InValues):
            if kind not in (*TEXTUAL, FieldType.NUMBER):
                return f"'{name}' is {kind}: 'in' needs a text, code or number field"
            bad = [v for v in node.values if not _suits(v, kind)]
            if bad:
                return f"'{name}' is {kind}, so its list cannot hold {_describe(bad[0])}"
        elif isinstance(node, t.Between):
            if kind is not FieldType.NUMBER:
                return f"'{name}' is {kind}, not a number: 'between' needs numbers"
            if not (_suits(node.low, kind) and _suits(node.high, kind)):
                return "'between' takes two numbers"
            if node.low > node.high:
                return f"'between' runs from low to high, but {node.low} > {node.high}"
        elif isinstance(node, t.StartsWith) and kind not in TEXTUAL:
            return f"'{name}' is {kind}: 'startswith' needs a text or code field"
        elif isinstance(node, t.Contains) and kind is not FieldType.LIST:
            return f"'{name}' is {kind}: 'contains' is for lists (lpco_refs, container_ids)"
        elif isinstance(node, t.DateWindow | t.Weekday | t.HourWindow) and (
            kind is not FieldType.DATETIME
        ):
            return f"'{name}' is {kind}, not a date and time"
        return None


class CodesAreWritten(Validator):
    """Codes are stored upper-case: a lower-case or unknown country never matches."""

    def check(self, node: t.Node, lists: Mapping[str, str]) -> list[Problem]:
        if isinstance(node, t.Compare) and not isinstance(node.value, t.FieldRef):
            values: tuple[object, ...] = (node.value,)
        elif isinstance(node, t.InValues):
            values = node.values
        else:
            return []
        if _type_of(node.field) is not FieldType.CODE:
            return []
        for value in values:
            if isinstance(value, str) and value != value.upper():
                return [Problem(node.loc, f"codes are upper case: write '{value.upper()}'")]
            if node.field in COUNTRY_FIELDS and value not in COUNTRY_CODES:
                return [Problem(node.loc, f"'{value}' is not a country code (ISO 3166, e.g. CN)")]
        return []


class NumbersArePlausible(Validator):
    """Numbers are finite and within 64-bit range, so every backend reads them the same way."""

    def check(self, node: t.Node, lists: Mapping[str, str]) -> list[Problem]:
        if isinstance(node, t.Compare) and not isinstance(node.value, t.FieldRef):
            values: tuple[object, ...] = (node.value,)
        elif isinstance(node, t.InValues):
            values = node.values
        elif isinstance(node, t.Between):
            values = (node.low, node.high)
        else:
            return []
        for value in values:
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if number and not plausible(value):  # type: ignore[arg-type]
                message = f"{value} is not a usable number (finite, at most {LIMIT:g})"
                return [Problem(node.loc, message)]
        return []


class HsPrefixes(Validator):
    """An HS prefix is a chapter, heading or subheading: 2, 4, 6, 8 or 10 digits."""

    def check(self, node: t.Node, lists: Mapping[str, str]) -> list[Problem]:
        if not isinstance(node, t.StartsWith) or node.field != "hs_code":
            return []
        for prefix in node.prefixes:
            if not _DIGITS.fullmatch(prefix) or len(prefix) not in (2, 4, 6, 8, 10):
                return [Problem(node.loc, f"'{prefix}' is not an HS chapter/heading/subheading")]
            if prefix[:2] not in VALID_CHAPTERS:
                return [Problem(node.loc, f"HS chapter {prefix[:2]} does not exist")]
        return []


class ListsExist(Validator):
    """A named list exists, is visible to the author, and holds the field's kind of value."""

    def check(self, node: t.Node, lists: Mapping[str, str]) -> list[Problem]:
        if not isinstance(node, t.InList):
            return []
        if node.list_name not in lists:
            return [Problem(node.loc, f"no named list '{node.list_name}' is visible to you")]
        field = VOCABULARY.get(node.field)
        if field is None:
            return []
        if field.list_kind is None:
            return [Problem(node.loc, f"'{node.field}' cannot be looked up in a named list")]
        if lists[node.list_name] != field.list_kind:
            return [
                Problem(
                    node.loc,
                    f"'{node.list_name}' is a list of {lists[node.list_name]} values, "
                    f"but '{node.field}' holds {field.list_kind} values",
                )
            ]
        return []


VALIDATORS: tuple[Validator, ...] = (
    KnownFields(),
    ValuesSuitFields(),
    CodesAreWritten(),
    NumbersArePlausible(),
    HsPrefixes(),
    ListsExist(),
)


def validate(node: t.Node, lists: Mapping[str, str] | None = None) -> list[Problem]:
    """Every problem in the tree, in the order of the file."""
    problems: list[Problem] = []
    # With no lists given (a file checked away from the hub) list names cannot be checked.
    active = [v for v in VALIDATORS if lists is not None or not isinstance(v, ListsExist)]
    for each in t.walk(node):
        for validator in active:
            problems.extend(validator.check(each, lists or {}))
    return sorted(problems, key=lambda p: (p.loc.line, p.loc.column))
