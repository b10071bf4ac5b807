"""Declarations out of the store as Parquet item rows, ready for a batch engine.

One file per Party and month (``party=AL/2026-05-01.parquet``), each holding
whole declarations: every item row, with the history fields (from the year
before) and the SEED fields, exactly as the hub's own batch reads them
(``selectivity.chunks``). A file is written under a temporary name and then
renamed, so a crash never leaves half a month that looks whole, and
``_EXPORTED`` is written last: a folder without it holds an unfinished export.
Exporting a Party again replaces its files.

The rows name traders: they are personal data. Folders and files are created
readable by their owner only; keep them where only the hub's operators and the
cluster's executors can read them, and delete them after use.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from riskhub.db.tenancy import acting_for
from riskhub.registries.lpco.checks import registry_in_use
from riskhub.selectivity import chunks

DONE = "_EXPORTED"  # the summary of a finished export; Spark skips names starting with _
ROW_GROUP_ROWS: int | None = None  # polars' default; Parquet row groups are where Spark splits


@dataclass
class Month:
    """One exported month of a Party: its file (None when nothing was written) and declarations."""

    start: datetime
    end: datetime
    ids: list[int]
    path: Path | None = None
    rows: int = 0
    held: list[int] = field(default_factory=list)  # left for the hub to decide


@dataclass
class Exported:
    party: str
    months: list[Month] = field(default_factory=list)

    @property
    def declarations(self) -> int:
        return sum(len(m.ids) - len(m.held) for m in self.months)

    @property
    def rows(self) -> int:
        return sum(m.rows for m in self.months)

    @property
    def held(self) -> int:
        return sum(len(m.held) for m in self.months)


def export_rows(
    *,
    engine_: Engine,
    party: str,
    out: Path,
    since: datetime | None = None,
    until: datetime | None = None,
    pending: bool = False,
    hold_lpco: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Exported:
    """Write ``party``'s declarations lodged in [since, until) under ``out/party=XX/``.

    ``pending``: only declaration versions without a decision. ``hold_lpco``:
    leave out declarations citing LPCOs where the Party keeps a registry (their
    checks draw allowances, which only the hub's own transaction may do).
    """
    folder = out / f"party={party}"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    # A new export replaces the Party's files: no month of an earlier one lingers beside it.
    (folder / DONE).unlink(missing_ok=True)
    for old in folder.glob("*.parquet"):
        old.unlink()
    exported = Exported(party)
    with acting_for(party), engine_.connect() as conn:
        listed = conn.execute(
            chunks.declarations(party, since=since, until=until, pending=pending)
        ).all()
        holding = hold_lpco and registry_in_use(conn, party)
        done = 0
        for start, end, ids in chunks.months([r[0] for r in listed], [r[1] for r in listed]):
            month = Month(start, end, ids)
            rows = chunks.month_rows(conn, party=party, ids=ids, start=start, end=end)
            if holding:
                citing = rows.filter(pl.col("lpco_refs").is_not_null())["declaration_id"]
                month.held = sorted(set(citing.to_list()))
                rows = rows.filter(~pl.col("declaration_id").is_in(month.held))
            if rows.height:
                month.path = _write(rows, folder / f"{start.date().isoformat()}.parquet")
                month.rows = rows.height
            exported.months.append(month)
            done += len(ids)
            if progress:
                progress(done, len(listed))
    # Written last: a folder without it holds an export that did not finish.
    summary = {"party": party, "since": since, "until": until, "pending": pending,
               "declarations": exported.declarations, "item_rows": exported.rows,
               "files": sum(1 for m in exported.months if m.path)}  # fmt: skip
    (folder / DONE).write_text(json.dumps(summary, default=str) + "\n", encoding="utf-8")
    return exported


def _write(rows: pl.DataFrame, path: Path) -> Path:
    # A hidden name until whole: Spark and the local engine never read it half-written.
    partial = path.with_name(f".{path.name}.partial")
    rows.write_parquet(partial, row_group_size=ROW_GROUP_ROWS)
    partial.chmod(0o600)
    os.replace(partial, path)
    return path
