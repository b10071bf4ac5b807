"""A problem found in input data: where it is, which field, and why, in plain words."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

# The columns of a problems frame; one row per problem.
PROBLEM_SCHEMA: dict[str, type[pl.DataType] | pl.DataType] = {
    "_line": pl.Int64,
    "_loc": pl.String,
    "field": pl.String,
    "reason": pl.String,
    "party": pl.String,
    "reference": pl.String,
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a row (or a whole line of input) was not stored."""

    location: str
    field: str
    reason: str
    line: int | None = None
    party: str | None = None
    reference: str | None = None

    def __str__(self) -> str:
        where = f"{self.location}, field {self.field}" if self.field else self.location
        return f"{where}: {self.reason}"


def problems_frame(problems: list[Problem]) -> pl.DataFrame:
    """Turn a list of problems into the frame shape the validator produces."""
    return pl.DataFrame(
        {
            "_line": [p.line for p in problems],
            "_loc": [p.location for p in problems],
            "field": [p.field for p in problems],
            "reason": [p.reason for p in problems],
            "party": [p.party for p in problems],
            "reference": [p.reference for p in problems],
        },
        schema=PROBLEM_SCHEMA,
    )


def problems_list(frame: pl.DataFrame) -> list[Problem]:
    """Turn a problems frame back into plain objects, in source order."""
    return [
        Problem(
            location=row["_loc"],
            field=row["field"],
            reason=row["reason"],
            line=row["_line"],
            party=row["party"],
            reference=row["reference"],
        )
        for row in frame.sort("_line", nulls_last=True, maintain_order=True).iter_rows(named=True)
    ]
