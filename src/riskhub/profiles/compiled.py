"""A profile ready to evaluate: its document's meaning plus compiled criteria."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

import polars as pl

from riskhub.profiles.criteria.backends import PolarsBackend, PythonBackend
from riskhub.profiles.criteria.sentences import describe
from riskhub.profiles.criteria.tree import Node
from riskhub.profiles.document import ProfileDocument
from riskhub.reference.parties import PARTY_CODES, SECRETARIAT_PARTY


@dataclass(frozen=True)
class CompiledProfile:
    id: int
    owner: str
    code: str
    version: int
    title: str
    channel: str
    agencies: tuple[str, ...]
    checklist: tuple[str, ...]
    weight: int
    select_share: float
    direction: str
    # Where it applies: the owner's own when the document names none, except for the
    # RMWG's common profiles (owned by the Secretariat), which apply wherever shared.
    parties: frozenset[str]
    offices: frozenset[str]
    valid_from: date | None
    valid_to: date | None
    criteria: Node
    expr: pl.Expr
    row_criteria: Callable[[dict[str, Any]], bool]  # the same criteria, for one row at a time
    sentence: str

    @cached_property
    def test(self) -> pl.Expr:
        """Hit on a row: in scope and the criteria hold (built once; reused every evaluation)."""
        return self.applies() & self.expr

    def applies(self) -> pl.Expr:
        """Rows this profile may judge: its direction, scope and validity."""
        test = pl.col("party").is_in(sorted(self.parties))
        if self.direction != "ANY":
            test &= pl.col("direction") == self.direction
        if self.offices:
            test &= pl.col("office").is_in(sorted(self.offices))
        day = pl.col("lodged_at").dt.date()
        if self.valid_from:
            test &= day >= self.valid_from
        if self.valid_to:
            test &= day <= self.valid_to
        return test

    def hits_row(self, row: dict[str, Any]) -> bool:
        """``test`` for one row as a dict: the same answer without a polars query."""
        if row.get("party") not in self.parties:
            return False
        if self.direction != "ANY" and row.get("direction") != self.direction:
            return False
        if self.offices and row.get("office") not in self.offices:
            return False
        if self.valid_from or self.valid_to:
            lodged = row.get("lodged_at")
            if lodged is None:
                return False
            if self.valid_from and lodged.date() < self.valid_from:
                return False
            if self.valid_to and lodged.date() > self.valid_to:
                return False
        return self.row_criteria(row)


def compile_profile(
    *,
    id: int,
    owner: str,
    version: int,
    document: ProfileDocument,
    criteria: Node,
    lists: Mapping[str, Collection[str]],
) -> CompiledProfile:
    """Compile a read profile; ``lists`` are the named lists as its owner sees them."""
    return CompiledProfile(
        id=id,
        owner=owner,
        code=document.code,
        version=version,
        title=document.title,
        channel=str(document.action.channel),
        agencies=tuple(document.action.agencies),
        checklist=tuple(document.action.checklist),
        weight=document.weight,
        select_share=document.select_share,
        direction=document.direction,
        parties=frozenset(
            document.scope.parties or [owner]
            if owner != SECRETARIAT_PARTY
            else document.scope.parties or PARTY_CODES
        ),
        offices=frozenset(document.scope.offices),
        valid_from=document.valid_from,
        valid_to=document.valid_to,
        criteria=criteria,
        expr=PolarsBackend().compile(criteria, lists=lists),
        row_criteria=PythonBackend().compile(criteria, lists=lists),
        sentence=describe(criteria),
    )
