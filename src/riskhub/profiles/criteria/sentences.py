"""Criteria in plain words, for the officer who sees why a declaration was selected."""

from __future__ import annotations

from riskhub.profiles.criteria import tree as t

_OPS = {
    "eq": "is",
    "ne": "is not",
    "gt": "is above",
    "gte": "is at least",
    "lt": "is below",
    "lte": "is at most",
}
_DAYS = ("", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _name(field: str) -> str:
    return field.replace("_", " ").replace(" pct", " (%)").replace(" kg", " per kg")


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _either(values: tuple[object, ...] | list[object], word: str = "or") -> str:
    items = [_value(v) for v in values]
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {word} {items[-1]}"


def describe(node: t.Node) -> str:
    """One sentence (clauses joined by 'and'/'or') saying what the criteria test."""
    match node:
        case t.All(children=children):
            return ", and ".join(_nested(c) for c in children)
        case t.AnyOf(children=children):
            return ", or ".join(_nested(c) for c in children)
        case t.Not(child=child):
            return f"not ({describe(child)})"
        case t.Compare(field=f, op=op, value=t.FieldRef(field=other, factor=factor)):
            times = "" if factor == 1 else f"{_value(factor)} × "
            return f"{_name(f)} {_OPS[op]} {times}{_name(other)}"
        case t.Compare(field=f, op=op, value=value):
            return f"{_name(f)} {_OPS[op]} {_value(value)}"
        case t.Between(field=f, low=low, high=high):
            return f"{_name(f)} is between {_value(low)} and {_value(high)}"
        case t.InValues(field=f, values=values, negate=negate):
            return f"{_name(f)} is {'none of' if negate else 'one of'} {_either(values)}"
        case t.InList(field=f, list_name=name, negate=negate):
            return f"{_name(f)} is {'not ' if negate else ''}on the list '{name}'"
        case t.StartsWith(field=f, prefixes=prefixes):
            return f"{_name(f)} starts with {_either(prefixes)}"
        case t.Contains(field=f, prefix=prefix):
            return f"{_name(f)} include one starting with {prefix}"
        case t.Missing(field=f, missing=missing):
            return f"{_name(f)} {'is missing' if missing else 'is given'}"
        case t.DateWindow(field=f, start=start, end=end):
            return f"{_name(f)} is from {start} to {end}"
        case t.Weekday(field=f, days=days):
            return f"{_name(f)} is on a {_either([_DAYS[d] for d in days])}"
        case t.HourWindow(field=f, start=start, end=end):
            return f"{_name(f)} is between {start:02d}:00 and {end:02d}:00"
    raise TypeError(f"no words for {node!r}")


def _nested(node: t.Node) -> str:
    text = describe(node)
    return f"({text})" if isinstance(node, t.All | t.AnyOf) else text
