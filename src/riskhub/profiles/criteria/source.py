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


MAX_DEPTH = 40  # far deeper than any real profile; stops recursion bombs early
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
)


def _loc(node: yaml.Node, path: PathKey) -> Loc:
    return Loc(node.start_mark.line + 1, node.start_mark.column + 1, dotted(path))


def load(text: str) -> Source:
    """Parse YAML (JSON is YAML too) into values and their places.

    Only plain data is accepted: no anchors or aliases (one short alias chain can
    expand to gigabytes), no merge keys, no language-specific tags, and no nesting
    deeper than ``MAX_DEPTH``. Anything else is a located problem, never a crash.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        loc = Loc(mark.line + 1, mark.column + 1, "") if mark else Loc(1, 1, "")
        raise SourceError(loc, f"not valid YAML/JSON: {error.problem or error}") from None
    except (yaml.YAMLError, RecursionError) as error:
        raise SourceError(Loc(1, 1, ""), f"not valid YAML/JSON: {error}") from None
    marks: dict[PathKey, Loc] = {}
    seen: set[int] = set()
    constructor = yaml.SafeLoader("")  # only its scalar constructors are used

    def scalar(node: yaml.Node, path: PathKey) -> Any:
        if "\x00" in node.value:
            # An escaped "\0" in YAML: no database keeps it as text, nor does a field hold it.
            raise SourceError(_loc(node, path), "contains a NUL character, which is not text")
        if node.tag == _INT and _OCTAL.fullmatch(node.value):
            return node.value  # 0101 is the HS chapter as written, not YAML 1.1's octal 65
        try:
            return constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, OverflowError) as error:
            problem = getattr(error, "problem", None) or str(error)
            raise SourceError(
                _loc(node, path), f"'{node.value}' cannot be read: {problem}"
            ) from None

    def build(node: yaml.Node, path: PathKey) -> Any:
        if id(node) in seen:
            raise SourceError(_loc(node, path), "anchors and aliases (& and *) are not allowed")
        seen.add(id(node))
        if len(path) > MAX_DEPTH:
            raise SourceError(_loc(node, path), f"nested deeper than {MAX_DEPTH} levels")
        if node.tag not in _PLAIN_TAGS:
            raise SourceError(_loc(node, path), f"the tag {node.tag} is not allowed")
        marks[path] = _loc(node, path)
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise SourceError(_loc(key_node, path), "merge keys (<<) are not allowed")
                key = str(scalar(key_node, path)) if isinstance(key_node, yaml.ScalarNode) else ""
                if not isinstance(key_node, yaml.ScalarNode):
                    raise SourceError(_loc(key_node, path), "a key must be a single word")
                if key in out:
                    raise SourceError(_loc(key_node, (*path, key)), f"'{key}' is written twice")
                out[key] = build(value_node, (*path, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [build(item, (*path, i)) for i, item in enumerate(node.value)]
        return scalar(node, path)

    return Source(None if root is None else build(root, ()), marks)
