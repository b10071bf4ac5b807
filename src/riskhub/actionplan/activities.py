"""The Strategy's Action Plan (S1-S14, M1-M9, L1-L7) as data, read from the Strategy's own text.

The activities are never typed by hand: ``parse`` reads the Action Plan table
of the Strategy (tab-separated rows of activity, pillar, alignment,
participating entities and KPI under a term heading such as "Short-Term
Actions (2025-2026)"), and the result ships as ``data/action_plan.json`` so
that a hub runs without the Strategy file beside it. ``riskhub actionplan
seed`` writes it again from the text; a test keeps the two the same.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

TERM = re.compile(r"^(Short|Medium|Long)-Term Actions \((\d{4})-(\d{4})\)\s*[–-]\s*(.+?)\s*$")
ROW = re.compile(r"^([SML])(\d{1,2})$")
SEED = "action_plan.json"


@dataclass(frozen=True)
class Activity:
    """One activity of the Action Plan, as the Strategy states it."""

    code: str  # S1 ... L7
    term: str  # short, medium, long
    term_title: str  # e.g. "Laying the Foundation"
    activity: str
    pillars: tuple[str, ...]
    alignment: str  # Green Lanes and CRM 2.0 references
    entities: tuple[str, ...]  # participating entities
    kpi: str
    quarters: tuple[str, ...]  # the term's quarters, e.g. 2025Q1 ... 2026Q4


class ActionPlanError(ValueError):
    """The text is not the Action Plan as expected; the message names the line."""


def parse(text: str) -> list[Activity]:
    """The activities of the Action Plan table in ``text``, in the Strategy's order."""
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "ACTION PLAN")
    except StopIteration:
        raise ActionPlanError("no 'ACTION PLAN' heading in the text") from None
    out: list[Activity] = []
    term: tuple[str, str, tuple[str, ...]] | None = None
    for number, line in enumerate(lines[start + 1 :], start=start + 2):
        if line.startswith("Implementation Timeline"):
            break
        heading = TERM.match(line.strip())
        if heading:
            kind, first, last, title = heading.groups()
            years = range(int(first), int(last) + 1)
            term = (kind.lower(), title, tuple(f"{y}Q{q}" for y in years for q in range(1, 5)))
            continue
        cells = line.split("\t")
        if not ROW.match(cells[0].strip()):
            continue
        if term is None:
            raise ActionPlanError(f"line {number}: activity {cells[0]} before any term heading")
        if len(cells) < 6:
            raise ActionPlanError(f"line {number}: {cells[0]} has {len(cells)} columns, not 6")
        code, activity, pillars, alignment, entities, kpi = (c.strip() for c in cells[:6])
        out.append(
            Activity(
                code=code, term=term[0], term_title=term[1], activity=activity,
                pillars=_listed(pillars), alignment=alignment, entities=_listed(entities),
                kpi=kpi, quarters=term[2],
            )
        )  # fmt: skip
    if not out:
        raise ActionPlanError("no activities under the 'ACTION PLAN' heading")
    return out


def _listed(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split(",") if part.strip())


def write_seed(activities: list[Activity], path: Path) -> None:
    """Write the activities as the JSON the hub ships."""
    rows = [asdict(a) for a in activities]
    path.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


@lru_cache(maxsize=1)
def load() -> tuple[Activity, ...]:
    """The shipped activities (``data/action_plan.json``)."""
    text = resources.files("riskhub.actionplan").joinpath("data", SEED).read_text("utf-8")
    return tuple(
        Activity(**{**row, **{k: tuple(row[k]) for k in ("pillars", "entities", "quarters")}})
        for row in json.loads(text)
    )
