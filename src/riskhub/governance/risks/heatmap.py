"""Ratings, their bands, and the 5x5 heat map of a register (pure functions, no database)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

# A 5x5 matrix's usual bands: the product of likelihood and impact, 1-25.
# 20 and 25 take a major or severe impact that is likely or almost certain.
BANDS = (("low", 4), ("medium", 9), ("high", 16), ("critical", 25))
LEVELS = tuple(name for name, _ in BANDS)


def rating(likelihood: int, impact: int) -> int:
    """Likelihood times impact."""
    return likelihood * impact


def level(likelihood: int, impact: int) -> str:
    """The band of a rating: low 1-4, medium 5-9, high 10-16, critical 20-25."""
    value = rating(likelihood, impact)
    return next(name for name, top in BANDS if value <= top)


def overdue(review_on: date, status: str, today: date) -> bool:
    """An open risk whose review date has passed."""
    return status == "open" and review_on < today


def empty() -> list[list[int]]:
    return [[0] * 5 for _ in range(5)]


def grid(scores: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Counts by likelihood and impact: ``grid[likelihood-1][impact-1]``."""
    out = empty()
    for likelihood, impact in scores:
        out[likelihood - 1][impact - 1] += 1
    return out


def levels(cells: list[list[int]]) -> dict[str, int]:
    """How many risks of a grid fall in each band."""
    out = dict.fromkeys(LEVELS, 0)
    for li, row in enumerate(cells, start=1):
        for im, count in enumerate(row, start=1):
            out[level(li, im)] += count
    return out


def render(cells: list[list[int]]) -> list[str]:
    """The grid as text, likelihood 5 at the top, impact 1-5 left to right."""
    lines = ["likelihood \\ impact   1    2    3    4    5"]
    for li in range(5, 0, -1):
        row = "".join(f"{cells[li - 1][im - 1] or '.':>5}" for im in range(1, 6))
        lines.append(f"{li:>10}          {row}")
    return lines


def lines(found: dict[str, Any]) -> list[str]:
    """The heat map as printed: the grid, the bands, and the per-Party totals if any."""
    grid = found["grid"]
    assert isinstance(grid, list)
    out = [f"Open risks of {' + '.join(found['parties'])} (likelihood x impact):"]
    out += render(grid)
    levels = found["levels"]
    assert isinstance(levels, dict)
    out.append(
        ", ".join(f"{name} {n}" for name, n in levels.items())
        + f"; overdue reviews {found['overdue']}"
    )
    by_party = found["by_party"]
    assert isinstance(by_party, dict)
    if by_party:
        out.append(
            "Per Party (counts only): "
            + ", ".join(f"{p} {sum(map(sum, cells))}" for p, cells in by_party.items())
        )
    return out
