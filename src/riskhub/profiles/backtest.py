"""What a draft profile would have done over stored history, before it goes live.

Per day and office: the declarations it would hit; of those, the ones that
were sent to control (a red or yellow decision) and what control found there
(hit rate and revenue, from known outcomes); and how much it overlaps the
active profiles, so an analyst sees whether it adds anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Engine, and_, select
from sqlalchemy.orm import Session

from riskhub.db.tenancy import acting_for
from riskhub.declarations.models import Declaration
from riskhub.matching.fields import exits_for, with_seed
from riskhub.profiles import service as profiles
from riskhub.profiles.compiled import CompiledProfile, compile_profile
from riskhub.profiles.document import read_profile
from riskhub.profiles.history import with_history
from riskhub.selectivity import engine as evaluation
from riskhub.selectivity.models import SelectivityDecision
from riskhub.selectivity.rows import between, item_rows, read_rows

HISTORY_DAYS = 365


@dataclass
class BacktestReport:
    code: str
    since: datetime
    until: datetime
    declarations: int = 0
    hits: int = 0
    inspected: int = 0
    found: int = 0
    revenue_eur: float = 0.0
    overlap_any_active: int = 0
    by_day_office: list[dict[str, Any]] = field(default_factory=list)
    overlap_by_profile: list[dict[str, Any]] = field(default_factory=list)

    @property
    def hit_rate(self) -> float | None:
        return round(self.found / self.inspected, 4) if self.inspected else None


def compile_draft(*, session: Session, party: str, text: str) -> CompiledProfile:
    """A profile's YAML compiled as ``party`` would run it, or ProfileError with its problems."""
    lists = profiles.visible_lists(session=session, party=party)
    read = read_profile(text, lists={n: r.kind for n, r in lists.items()})
    if not read.ok or read.document is None or read.criteria is None:
        raise profiles.ProfileError("; ".join(str(p) for p in read.problems))
    return compile_profile(
        id=0, owner=party, version=0, document=read.document, criteria=read.criteria,
        lists={n: profiles.list_entries(r) for n, r in lists.items()},
    )  # fmt: skip


def judged(
    *, session: Session, party: str, run: list[CompiledProfile], since: datetime,
    until: datetime, where: Any = None,
) -> pl.DataFrame:  # fmt: skip
    """Each of ``party``'s declarations lodged in [since, until) (and matching ``where``), with
    the profiles of ``run`` that fire on it (``fired``: their positions) and what it hid.
    The history fields draw on the year before, of the declarations matching ``where`` too.

    ``non_compliant`` and ``revenue`` come from the known outcomes (the planted truth
    of synthetic traffic); ``kinds`` names the non-compliance found in its items.
    """
    d = Declaration
    chosen = [d.party == party, between(since, until)] + ([where] if where is not None else [])
    targets = read_rows(session, item_rows(*chosen))
    if not targets.height:
        return pl.DataFrame()
    before = [d.party == party, between(since - timedelta(days=HISTORY_DAYS), since)]
    earlier = read_rows(session, item_rows(*before, *([where] if where is not None else [])))
    rows = with_seed(with_history(targets, earlier), exits_for(session=session, party=party,
                                                                frame=targets))  # fmt: skip
    return judge(rows, run)


def judge(rows: pl.DataFrame, run: Sequence[CompiledProfile]) -> pl.DataFrame:
    """Per declaration of ``rows`` (item rows with history and SEED fields): the profiles of
    ``run`` that fire (``fired``), whether it hid non-compliance, its revenue, and which kinds.
    """
    planted = pl.col("known_outcome").is_not_null() & (pl.col("known_outcome") != "compliant")
    return (
        rows.group_by("party", "reference", maintain_order=True)
        .agg(
            pl.col("declaration_id").first(),
            pl.col("office").first(),
            pl.col("lodged_at").first(),
            pl.col("lodged_at").first().dt.date().alias("day"),
            planted.any().alias("non_compliant"),
            pl.col("known_revenue_eur").sum().alias("revenue"),
            pl.col("known_outcome").filter(planted).unique().sort().alias("kinds"),
        )
        .join(evaluation.fired(rows, run), on=["party", "reference"])
    )


# Judges a run of profiles over a window elsewhere (e.g. on Spark): (run, since, until) -> judged.
Judging = Callable[[list[CompiledProfile], datetime, datetime], pl.DataFrame]


def backtest(
    *, engine: Engine, party: str, text: str, since: datetime, until: datetime | None = None,
    judged_by: Judging | None = None,
) -> BacktestReport:  # fmt: skip
    """Run a draft profile over ``party``'s declarations lodged in [since, until).

    ``judged_by`` replaces ``judged`` (same rows, same answers) to run the
    criteria elsewhere, as ``riskhub profiles backtest --engine spark`` does.
    """
    until = until or datetime.now().replace(microsecond=0) + timedelta(days=1)
    with acting_for(party), Session(engine) as session:
        draft = compile_draft(session=session, party=party, text=text)
        active = [p for p in profiles.active_profiles(session=session, party=party)
                  if not (p.owner == party and p.code == draft.code)]  # fmt: skip
        d, s = Declaration, SelectivityDecision
        controlled = session.execute(
            select(s.declaration_id).join(
                d, and_(d.id == s.declaration_id, d.version == s.declaration_version)
            ).where(s.party == party, s.channel.in_(("red", "yellow")), d.lodged_at >= since,
                    d.lodged_at < until)
        ).scalars().all()  # fmt: skip
        if judged_by is None:
            judged_rows = judged(session=session, party=party, run=[draft, *active], since=since,
                                 until=until)  # fmt: skip
    if judged_by is not None:
        judged_rows = judged_by([draft, *active], since, until)
    report = BacktestReport(draft.code, since, until)
    if not judged_rows.height:
        return report
    per_declaration = judged_rows.with_columns(
        pl.col("fired").list.contains(0).alias("hit"),
        pl.col("declaration_id").is_in(list(controlled)).alias("inspected"),
        (pl.col("fired").list.len() - pl.col("fired").list.contains(0).cast(pl.UInt32) > 0).alias(
            "other"
        ),
    )
    hits = per_declaration.filter(pl.col("hit"))
    inspected = hits.filter(pl.col("inspected"))
    report.declarations = per_declaration.height
    report.hits = hits.height
    report.inspected = inspected.height
    report.found = int(inspected["non_compliant"].sum())
    report.revenue_eur = round(float(inspected.filter(pl.col("non_compliant"))["revenue"].sum()), 2)
    report.overlap_any_active = int(hits["other"].sum())
    report.by_day_office = (
        per_declaration.group_by("day", "office")
        .agg(
            pl.len().alias("declarations"),
            pl.col("hit").sum().alias("hits"),
            (pl.col("hit") & pl.col("inspected")).sum().alias("inspected"),
            (pl.col("hit") & pl.col("inspected") & pl.col("non_compliant")).sum().alias("found"),
        )
        .filter(pl.col("hits") > 0)
        .sort("day", "office")
        .to_dicts()
    )
    for index, profile in enumerate(active, start=1):
        both = int(hits["fired"].list.contains(index).sum())
        if both:
            report.overlap_by_profile.append(
                {"profile": profile.code, "owner": profile.owner, "declarations": both}
            )
    return report
