"""Read an analyst's YAML or JSON file, keeping the line of every key and value.

PyYAML composes a node tree with marks; we build the plain Python value from it
and, beside it, a map from each key path to where it was written, so any later
error (the parser's, a validator's, pydantic's) can name the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from riskhub.profiles.criteria.tree import Loc

PathKey = tuple[str | int, ...]
_INT = "tag:yaml.org,2002:int"
_OCTAL = re.compile(r"[-+]?0[0-7_]+")


class SourceError(ValueError):
    """The file is not well-formed YAML/JSON; says where."""

    def __init__(self, loc: Loc, message: str) -> None:
        super().__init__(f"{loc}: {message}")
        self.loc = loc
        self.message = message


@dataclass
class Source:
    data: Any
    marks: dict[PathKey, Loc]

    def loc(self, path: PathKey) -> Loc:
        """Where the value at this path (or its closest written parent) was."""
        for cut in range(len(path), -1, -1):
            if (found := self.marks.get(path[:cut])) is not None:
                return Loc(found.line, found.column, dotted(path))
        return Loc(1, 1, dotted(path))


def dotted(path: PathKey) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def load(text: str) -> Source:
    """Parse YAML (JSON is YAML too) into values and their places."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        loc = Loc(mark.line + 1, mark.column + 1, "") if mark else Loc(1, 1, "")
        raise SourceError(loc, f"not valid YAML/JSON: {error.problem or error}") from None
    marks: dict[PathKey, Loc] = {}
    constructor = yaml.SafeLoader("")  # only its scalar constructors are used

    def build(node: yaml.Node, path: PathKey) -> Any:
        marks[path] = Loc(node.start_mark.line + 1, node.start_mark.column + 1, dotted(path))
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = str(constructor.construct_object(key_node))
                if key in out:
                    where = dotted((*path, key))
                    loc = Loc(key_node.start_mark.line + 1, key_node.start_mark.column + 1, where)
                    raise SourceError(loc, f"'{key}' is written twice")
                out[key] = build(value_node, (*path, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [build(item, (*path, i)) for i, item in enumerate(node.value)]
        if node.tag == _INT and _OCTAL.fullmatch(node.value):
            return node.value  # 0101 is the HS chapter as written, not YAML 1.1's octal 65
        return constructor.construct_object(node)

    return Source(None if root is None else build(root, ()), marks)
