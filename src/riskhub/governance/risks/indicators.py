"""A risk's indicators: risk criteria in the language of profiles, read by the profiles' reader.

The indicators are what a ``criteria:`` block of a profile holds, written on
their own; problems name the line and column of the indicators as written,
exactly as a profile import names them in its file.
"""

from __future__ import annotations

from typing import Any

from riskhub.profiles.criteria import parser, validators
from riskhub.profiles.criteria.source import SourceError, load
from riskhub.profiles.criteria.tree import Loc
from riskhub.profiles.criteria.validators import Problem


def check_indicators(text: str, lists: dict[str, str] | None = None) -> list[str]:
    """Every problem of the indicators, each with its line, column and key path."""
    try:
        source = load(text)
    except SourceError as error:
        return [str(Problem(error.loc, error.message))]
    if not isinstance(source.data, dict):
        where = Loc(1, 1, "")
        return [str(Problem(where, "indicators are criteria: a mapping such as {all: [...]}"))]
    tree, shape = parser.parse_all(source, ())
    problems = [Problem(e.loc, e.message) for e in shape]
    if tree is not None:
        problems.extend(validators.validate(tree, lists))
    return [str(p) for p in sorted(problems, key=lambda p: (p.loc.line, p.loc.column))]


def criteria_of(text: str) -> dict[str, Any]:
    """The indicators as data, to be placed under a profile's ``criteria``."""
    data = load(text).data
    assert isinstance(data, dict)  # checked when the indicators were stored
    return data
