"""Selectivity and backtests with a batch engine doing the criteria and the model.

``select_on`` is ``riskhub select --engine spark``: export the pending
declarations (``batch.export``), let the engine give each its channel before
the office budget (``work.DecideWork``), then store month by month on the hub,
as the single-process batch does: in one transaction per month, the
declarations citing LPCOs are decided here (their checks draw allowances),
the office budget sees the whole month, and the decisions are stored once
(a rerun after a crash continues with what is still pending).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine, exists, select
from sqlalchemy.orm import Session

from riskhub.batch.engines import BatchEngine
from riskhub.batch.export import Month, export_rows
from riskhub.batch.work import DECISIONS, DecideWork, JudgeWork, decisions_from
from riskhub.batch.workdir import run_folder
from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for
from riskhub.declarations.models import Declaration
from riskhub.profiles import service as profiles
from riskhub.profiles.backtest import Judging
from riskhub.profiles.compiled import CompiledProfile
from riskhub.registries.lpco.models import LpcoDrawdown
from riskhub.registries.service import AeoRegister, aeo_register
from riskhub.selectivity import chunks
from riskhub.selectivity import service as selectivity
from riskhub.selectivity.models import SelectivityDecision
from riskhub.selectivity.pipeline import Decision, OfficeRates
from riskhub.selectivity.scoring import Scorer
from riskhub.targeting.scorer import scorer_for, store_shadow


def select_on(
    *,
    engine_: Engine,
    batch: BatchEngine,
    party: str,
    work_dir: Path,
    since: datetime | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> selectivity.SelectSummary:
    """Decide every pending declaration version of ``party``, the criteria run by ``batch``."""
    batch.check()  # before any personal data is written out
    summary = selectivity.SelectSummary()
    # The exported rows name traders: the run's folder is private and removed at the end.
    with run_folder(work_dir, "select", party) as run:
        with acting_for(party), Session(engine_) as session:
            active = profiles.active_profiles(session=session, party=party)
            rates = selectivity.office_rates(session=session, party=party)
            scorer = scorer_for(session=session, party=party)
            holders = aeo_register(connection_or_session=session, party=party)
        started = time.perf_counter()
        exported = export_rows(
            engine_=engine_, party=party, out=run / "rows", since=since, pending=True,
            hold_lpco=True, progress=_stage(progress, "export"),
        )  # fmt: skip
        summary.seconds["export"] = _since(started)
        decided = pl.DataFrame(schema=dict(DECISIONS))
        if exported.rows:
            started = time.perf_counter()
            work = DecideWork(active, rates, holders, scorer, selectivity.hub_secret())
            batch.run(work, rows=run / "rows", out=run / "decisions")
            decided = pl.read_parquet(run / "decisions" / "*.parquet")
            summary.seconds[batch.name] = _since(started)
        started = time.perf_counter()
        done, total = 0, sum(len(m.ids) for m in exported.months)
        for month in exported.months:
            stored, moved = _store_month(
                engine_, party, month, decided, active, rates, holders, scorer
            )
            summary.count(stored)
            summary.left_pending += moved
            done += len(month.ids)
            if progress:
                progress("store", done, total)
        summary.seconds["store"] = _since(started)
    return summary


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 2)


def _stage(
    progress: Callable[[str, int, int], None] | None, name: str
) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    return lambda done, total: progress(name, done, total)


def _store_month(
    engine_: Engine,
    party: str,
    month: Month,
    decided: pl.DataFrame,
    active: list[CompiledProfile],
    rates: dict[str, OfficeRates],
    holders: AeoRegister,
    scorer: Scorer,
) -> tuple[list[Decision], int]:
    """Store a month's decisions; (them, how many declarations moved to another month meanwhile)."""
    with acting_for(party), engine_.execution_options(sqlite_immediate=True).begin() as conn:
        current = _still_pending(conn, party, month.ids)
        # An amendment lodged meanwhile on another day of another month waits for the next run:
        # its office budget is that day's, which this month's transaction does not hold.
        inside = pl.col("lodged_at").is_between(month.start, month.end, closed="left")
        moved = current.filter(~inside).height
        current = current.filter(inside)
        theirs = decided.join(current, on=["declaration_id", "version"], how="semi")
        # A declaration that drew LPCO allowances before (an earlier version citing them) is
        # checked here, as the hub's batch does, so what it no longer cites is given back.
        theirs = theirs.filter(~pl.col("declaration_id").is_in(_drew_before(conn, party, month)))
        decisions, shadow = decisions_from(theirs)
        # The rest: held back (LPCOs), amended since the export, or drawn before.
        rest = current.join(theirs, on="declaration_id", how="anti")["declaration_id"].to_list()
        if rest:
            rows = chunks.month_rows(conn, party=party, ids=rest, start=month.start, end=month.end)
            decisions += selectivity.decide_month(
                conn, party=party, rows=rows, profiles_=active, rates=rates, holders=holders,
                scorer=scorer,
            )  # fmt: skip
        selectivity.store_month(
            conn, party=party, decisions=decisions, rates=rates, start=month.start, end=month.end
        )
        now = utcnow()
        store_shadow(conn, [{**row, "scored_at": now} for row in shadow])
        scorer.after_store(conn)
    return decisions, moved


def _still_pending(conn: Any, party: str, ids: list[int]) -> pl.DataFrame:
    """Of ``ids``, those whose current version has no decision: id, version, lodgement time."""
    d, s = Declaration, SelectivityDecision
    rows = [
        tuple(row)
        for part in chunks.parts(ids)
        for row in conn.execute(
            select(d.id, d.version, d.lodged_at)
            .outerjoin(s, (s.declaration_id == d.id) & (s.declaration_version == d.version))
            .where(d.party == party, d.id.in_(part), s.id.is_(None))
        )
    ]
    schema: dict[str, Any] = {
        "declaration_id": pl.Int64, "version": pl.Int64, "lodged_at": pl.Datetime("us"),
    }  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")


def _drew_before(conn: Any, party: str, month: Month) -> list[int]:
    """Declarations of ``month`` with LPCO draws recorded (by any earlier version)."""
    d, drawn = Declaration, LpcoDrawdown
    found: list[int] = []
    for part in chunks.parts(month.ids):
        found += conn.scalars(
            select(d.id).where(
                d.party == party,
                d.id.in_(part),
                exists().where(drawn.party == party, drawn.reference == d.reference),
            )
        ).all()
    return found


def judging_on(*, engine_: Engine, batch: BatchEngine, party: str, work_dir: Path) -> Judging:
    """A backtest's judging of ``party``'s declarations, the criteria run by ``batch``."""

    def judged(run: list[CompiledProfile], since: datetime, until: datetime) -> pl.DataFrame:
        batch.check()
        with run_folder(work_dir, "backtest", party) as folder:
            exported = export_rows(
                engine_=engine_, party=party, out=folder / "rows", since=since, until=until
            )
            if not exported.rows:
                return pl.DataFrame()
            batch.run(JudgeWork(run), rows=folder / "rows", out=folder / "judged")
            return pl.read_parquet(folder / "judged" / "*.parquet").sort(
                "lodged_at", "declaration_id"
            )

    return judged
