"""The contract every criteria backend keeps."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Generic, TypeVar

from riskhub.profiles.criteria import tree as t

Compiled = TypeVar("Compiled")
Lists = Mapping[str, Collection[str]]


class CriteriaBackend(Generic[Compiled]):
    """Compile a validated criteria tree into something that tests rows.

    Every backend gives the same answer for the same row. A test of a missing
    value is unknown, not false; ``all``, ``any`` and ``not`` follow SQL's
    three-valued logic (not unknown is unknown), and a row is a hit only when
    the whole tree is true. Row-level derived fields (unit values, mass
    difference, dispatch vs origin, trader) are computed by the backend from
    declared fields with the definitions in ``derived``; history fields are
    read as given. Named lists are resolved from ``lists`` at compile time, so
    a compiled profile does not change when a list is edited later.
    """

    name: str = "base"

    def compile(self, node: t.Node, *, lists: Lists) -> Compiled:
        raise NotImplementedError
