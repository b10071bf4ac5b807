"""Give declarations their channel, store the decisions, read them back.

``decide_pending`` is the batch (``riskhub select``): every declaration version
without a decision, month by month, with a year of history before each month,
committing each month so a crash loses at most the month in progress and a
rerun continues (decisions are unique per declaration version). The API's
``decide_declarations`` decides a few declarations as they arrive.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, case, func, select
from sqlalchemy.orm import Session

from riskhub.access.models import SharingGroupMember
from riskhub.audit.keys import derive_secret, load_or_create
from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for
from riskhub.db.upsert import insert_for
from riskhub.declarations.models import Declaration, DeclarationItem
from riskhub.kpis import rollup
from riskhub.matching.fields import exits_for, with_seed
from riskhub.profiles import service as profiles
from riskhub.profiles.compiled import CompiledProfile
from riskhub.profiles.criteria.backends.derived import DERIVED
from riskhub.profiles.document import Channel
from riskhub.profiles.history import with_history
from riskhub.profiles.models import NamedList, ProfileActivation, RiskProfile
from riskhub.reference.crossings import OFFICES
from riskhub.registries.lpco.checks import Checked
from riskhub.registries.service import AeoRegister, aeo_register
from riskhub.selectivity import budget, chunks, engine
from riskhub.selectivity.models import OfficeSelectivity, SelectivityDecision
from riskhub.selectivity.pipeline import Candidate, Decision, OfficeRates, decide, profiles_version
from riskhub.selectivity.registries import add_lpco_reasons, aeo_status, check_lpcos
from riskhub.selectivity.rows import between, item_rows, read_rows
from riskhub.selectivity.scoring import Scorer
from riskhub.settings import get_settings
from riskhub.targeting.scorer import scorer_for

HISTORY_DAYS = chunks.HISTORY_DAYS


@lru_cache(maxsize=1)
def hub_secret() -> bytes:
    """The keyed-hash secret for random draws, derived from the hub key (never stored)."""
    key = load_or_create(get_settings().effective_hub_key_file)
    return derive_secret(key, "selectivity-draws")


@dataclass
class SelectSummary:
    decided: int = 0
    by_office: dict[str, dict[str, int]] = field(default_factory=dict)
    random_by_office: dict[str, int] = field(default_factory=dict)
    # Seconds per stage, when the work went through a batch engine (export, engine, store).
    seconds: dict[str, float] = field(default_factory=dict)
    # Amended meanwhile to another month's day: left for the next run (batch engines only).
    left_pending: int = 0

    def count(self, decisions: Sequence[Decision]) -> None:
        self.decided += len(decisions)
        for d in decisions:
            if d.random_control:
                self.random_by_office[d.office] = self.random_by_office.get(d.office, 0) + 1
            office = self.by_office.setdefault(d.office, {})
            office[d.channel.value] = office.get(d.channel.value, 0) + 1


def office_rates(*, session: Session | Any, party: str) -> dict[str, OfficeRates]:
    rows = session.execute(select(OfficeSelectivity).where(OfficeSelectivity.party == party))
    return {
        r.office: OfficeRates(
            r.random_rate,
            r.random_rate_aeo,
            r.target_red,
            r.target_yellow,
            r.red_capacity_per_day,
            r.revenue_weight,
            r.exploration,
        )
        for (r,) in rows
    }


def offices_of(*, session: Session, party: str) -> dict[str, OfficeRates]:
    """Every office of ``party`` with its selectivity settings (the defaults where none are set)."""
    own = office_rates(session=session, party=party)
    codes = sorted({o.code for o in OFFICES.values() if o.party == party} | set(own))
    return {code: own.get(code, OfficeRates()) for code in codes}


def set_office_rates(*, session: Session, party: str, office: str, rates: OfficeRates) -> bool:
    """Store an office's random-control rates, targets and capacity; False if not ``party``'s."""
    known = OFFICES.get(office)
    row = session.get(OfficeSelectivity, office)
    if (known is None or known.party != party) and (row is None or row.party != party):
        return False
    row = row or OfficeSelectivity(office=office, party=party)
    if row.party != party:
        return False
    row.random_rate, row.random_rate_aeo = rates.random_rate, rates.random_rate_aeo
    row.target_red, row.target_yellow = rates.target_red, rates.target_yellow
    row.red_capacity_per_day, row.updated_at = rates.red_capacity_per_day, utcnow()
    row.revenue_weight, row.exploration = rates.revenue_weight, rates.exploration
    session.add(row)
    session.flush()
    return True


def _candidates(
    targets: pl.DataFrame, fired: pl.DataFrame, scores: pl.DataFrame
) -> list[Candidate]:
    heads = (
        targets.select(
            "party",
            "reference",
            "declaration_id",
            "version",
            "office",
            "lodged_at",
            DERIVED["trader"][0].alias("trader"),
            "exporter",
            "direction",
        )
        .unique(["party", "reference"], keep="first", maintain_order=True)
        .join(fired, on=["party", "reference"], how="left")
        .join(scores, on=["party", "reference"], how="left")
    )
    return [Candidate(**row) for row in heads.iter_rows(named=True)]


def decide_frame(
    targets: pl.DataFrame,
    *,
    profiles_: Sequence[CompiledProfile],
    rates: dict[str, OfficeRates],
    holders: AeoRegister,
    scorer: Scorer,
    secret: bytes,
    checked: Checked,
) -> list[Decision]:
    """The channels of whole declarations' item rows, before the office budget."""
    targets = checked.with_fields(targets)
    fired = engine.fired(targets, profiles_)
    candidates = _candidates(targets, fired, scorer.score(targets))
    set_version = profiles_version(profiles_)
    decisions = []
    for c in candidates:
        aeo, why = aeo_status(holders, c)
        decisions.append(
            decide(
                c,
                profiles=profiles_,
                rates=rates.get(c.office, OfficeRates()),
                aeo=aeo,
                secret=secret,
                model_version=scorer.version,
                set_version=set_version,
                aeo_sentence=why,
            )
        )
    add_lpco_reasons(decisions, checked)
    return decisions


def _store(session: Session | Any, decisions: Sequence[Decision]) -> None:
    if not decisions:
        return
    now = utcnow()
    values = [
        {
            "party": d.party,
            "declaration_id": d.declaration_id,
            "declaration_version": d.version,
            "office": d.office,
            "lodged_at": d.lodged_at,
            "channel": d.channel.value,
            "score": d.score,
            "random_control": d.random_control,
            "aeo": d.aeo,
            "priority": d.priority,
            "reasons": json.dumps(d.reasons, ensure_ascii=False),
            "agencies": json.dumps(d.agencies),
            "checklist": json.dumps(d.checklist, ensure_ascii=False),
            "budget": d.budget,
            "engine_version": d.engine_version,
            "profiles_version": d.profiles_version,
            "model_version": d.model_version,
            "decided_at": now,
        }
        for d in decisions
    ]
    # A decision is written once: a concurrent or repeated run leaves the first one.
    statement = insert_for(session, SelectivityDecision).on_conflict_do_nothing(
        index_elements=["declaration_id", "declaration_version"]
    )
    connection = session if isinstance(session, Connection) else session.connection()
    # An amendment, inspection or release time of these declarations now waits for this
    # transaction, then rebuilds the day with this decision in it (rollup.hold_declarations).
    held = [d.declaration_id for d in decisions]
    rollup.hold_declarations(connection=connection, declaration_ids=held)
    session.execute(statement, values)
    days: dict[str, set[date]] = {}
    for d in decisions:
        days.setdefault(d.party, set()).add(d.lodged_at.date())
    for party, lodged in days.items():
        rollup.refresh(connection=connection, party=party, days=lodged)


def _stored_days(
    conn: Any, party: str, start: datetime, end: datetime
) -> dict[Any, budget.DayCount]:
    s = SelectivityDecision
    day = func.date(s.lodged_at)
    rows = conn.execute(
        select(
            s.office,
            day,
            func.count(),
            func.sum(case((s.channel == "red", 1), else_=0)),
            func.sum(case((s.channel == "yellow", 1), else_=0)),
        )
        .where(s.party == party, s.lodged_at >= start, s.lodged_at < end)
        .group_by(s.office, day)
    )
    out = {}
    for office, d, total, red, yellow in rows:
        key_day = d if isinstance(d, date) else date.fromisoformat(str(d))
        out[(office, key_day)] = budget.DayCount(int(total), int(red or 0), int(yellow or 0))
    return out


def decide_pending(
    *,
    engine_: Engine,
    party: str,
    since: datetime | None = None,
    scorer: Scorer | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SelectSummary:
    """Decide every declaration version of ``party`` that has no decision yet."""
    summary = SelectSummary()
    with acting_for(party), engine_.connect() as conn:
        pending = conn.execute(chunks.declarations(party, since=since, pending=True)).all()
        if not pending:
            return summary
        with Session(bind=conn) as session:
            active = profiles.active_profiles(session=session, party=party)
            rates = office_rates(session=session, party=party)
            scorer = scorer or scorer_for(session=session, party=party)
    ids = [row[0] for row in pending]
    done = 0
    for start, end, chunk in chunks.months(ids, [row[1] for row in pending]):
        decisions = _decide_chunk(engine_, party, chunk, start, end, active, rates, scorer)
        summary.count(decisions)
        done += len(chunk)
        if progress:
            progress(done, len(ids))
    return summary


def _decide_chunk(
    engine_: Engine,
    party: str,
    chunk: list[int],
    start: datetime,
    end: datetime,
    active: Sequence[CompiledProfile],
    rates: dict[str, OfficeRates],
    scorer: Scorer,
) -> list[Decision]:
    with acting_for(party), engine_.execution_options(sqlite_immediate=True).begin() as conn:
        rows = chunks.month_rows(conn, party=party, ids=chunk, start=start, end=end)
        holders = aeo_register(connection_or_session=conn, party=party)
        decisions = decide_month(
            conn, party=party, rows=rows, profiles_=active, rates=rates, holders=holders,
            scorer=scorer,
        )  # fmt: skip
        store_month(conn, party=party, decisions=decisions, rates=rates, start=start, end=end)
        scorer.after_store(conn)
    return decisions


def decide_month(
    conn: Any,
    *,
    party: str,
    rows: pl.DataFrame,
    profiles_: Sequence[CompiledProfile],
    rates: dict[str, OfficeRates],
    holders: AeoRegister,
    scorer: Scorer,
) -> list[Decision]:
    """The channels of a month's declarations before the budget, LPCOs checked and drawn."""
    # Allowances are drawn in the caller's transaction, so they stand or fall with the decisions.
    checked = check_lpcos(conn, party=party, targets=rows, now=utcnow())
    return decide_frame(
        rows, profiles_=profiles_, rates=rates, holders=holders, scorer=scorer,
        secret=hub_secret(), checked=checked,
    )  # fmt: skip


def store_month(
    conn: Any,
    *,
    party: str,
    decisions: list[Decision],
    rates: dict[str, OfficeRates],
    start: datetime,
    end: datetime,
) -> None:
    """Apply the office budgets to a month's decisions, against what is stored, and store them."""
    budget.apply_batch(decisions, rates=rates, stored=_stored_days(conn, party, start, end))
    _store(conn, decisions)


def _cached_active(session: Session, party: str) -> list[CompiledProfile]:
    # Compiling reads YAML: reuse the compiled set while no active profile changed. Ids and
    # versions alone could repeat (a restored or rebuilt database), so the time of each
    # change and the database itself are part of the key.
    rp = RiskProfile
    active = select(rp.id, rp.version, rp.updated_at).where(rp.status == "active")
    url = session.get_bind().engine.url.render_as_string(hide_password=True)
    key = (url, party, tuple(session.execute(active).all()), _lists_stamp(session))
    found = _COMPILED.get(key)
    if found is None:
        found = profiles.active_profiles(session=session, party=party)
        if len(_COMPILED) > 64:
            _COMPILED.clear()
        _COMPILED[key] = found
    return found


def _lists_stamp(session: Session) -> tuple[Any, ...]:
    # Named lists and sharing groups both change what a compiled set may see.
    nl, member = NamedList, SharingGroupMember
    lists = tuple(session.execute(select(nl.id, nl.version, nl.distribution, nl.updated_at)).all())
    groups = tuple(session.execute(select(member.group_id, member.member)).all())
    # A Party switching a common profile on or off changes its set too.
    pa = ProfileActivation
    switched = tuple(session.execute(select(pa.party, pa.code, pa.active, pa.decided_at)).all())
    return (lists, groups, switched)


_COMPILED: dict[Any, list[CompiledProfile]] = {}


def decide_declarations(
    *, session: Session, party: str, ids: Sequence[int], scorer: Scorer | None = None
) -> list[Decision]:
    """Decide declarations as they arrive (the API), each against its office's day so far."""
    scorer = scorer or scorer_for(session=session, party=party)
    d, s = Declaration, SelectivityDecision
    targets = read_rows(session, item_rows(d.party == party, d.id.in_(ids)))
    done = set(
        session.execute(
            select(s.declaration_id, s.declaration_version).where(s.declaration_id.in_(ids))
        ).all()
    )
    # A version decided before keeps its decision: nothing is checked or drawn for it again.
    if done:
        decided = pl.DataFrame(
            list(done), schema={"declaration_id": pl.Int64, "version": pl.Int64}, orient="row"
        )
        targets = targets.join(
            decided, on=["declaration_id", "version"], how="anti", maintain_order="left"
        )
    if not targets.height:
        return []
    first, last = targets["lodged_at"].min(), targets["lodged_at"].max()
    assert isinstance(first, datetime) and isinstance(last, datetime)
    traders = [t for t in targets.select(DERIVED["trader"][0]).to_series().unique() if t]
    window = (first - timedelta(days=HISTORY_DAYS), last)
    if targets.height <= engine.SMALL_FRAME:
        earlier = _earlier_for(session, party, targets, traders, *window)
    else:
        # A large submission needs most of the window anyway: one range read, as a batch does.
        span = between(window[0], window[1] + timedelta(seconds=1))
        everything = read_rows(session, item_rows(Declaration.party == party, span))
        earlier = everything.join(
            targets.select("declaration_id").unique(), on="declaration_id", how="anti"
        )
    active = _cached_active(session, party)
    rates = office_rates(session=session, party=party)
    exporters = [t for t in targets["exporter"].unique() if t]
    holders = aeo_register(
        connection_or_session=session, party=party, traders={*traders, *exporters}
    )
    checked = check_lpcos(session, party=party, targets=targets, now=utcnow())
    decisions = decide_frame(
        with_seed(
            with_history(targets, earlier), exits_for(session=session, party=party, frame=targets)
        ),
        profiles_=active,
        rates=rates,
        holders=holders,
        scorer=scorer,
        secret=hub_secret(),
        checked=checked,
    )
    fresh = [x for x in decisions if (x.declaration_id, x.version) not in done]
    # Each office's day so far and its score threshold are read once per (office, day),
    # then kept up to date here as this submission's declarations are decided in turn.
    days: dict[tuple[str, date], budget.DayCount] = {}
    thresholds: dict[tuple[str, date], float | None] = {}
    for decision in fresh:
        key = (decision.office, decision.lodged_at.date())
        office = rates.get(decision.office, OfficeRates())
        if key not in days:
            day = datetime.combine(key[1], time())
            stored = _stored_days(session, party, day, day + timedelta(days=1))
            days[key] = stored.get(key, budget.DayCount())
            thresholds[key] = _threshold(session, party, key[0], office.target_red, day)
        today = days[key]
        budget.apply_online(decision, rates=office, today=today, threshold=thresholds[key])
        days[key] = budget.DayCount(
            today.total + 1,
            today.red + (decision.channel is Channel.RED),
            today.yellow + (decision.channel is Channel.YELLOW),
        )
    _store(session, fresh)
    scorer.after_store(session)
    return fresh


def decisions_for(
    *, session: Session, party: str, ids: Sequence[int]
) -> dict[int, SelectivityDecision]:
    """The decisions on the current versions of these declarations, by declaration id."""
    d, s = Declaration, SelectivityDecision
    rows = session.scalars(
        select(s)
        .join(d, (d.id == s.declaration_id) & (d.version == s.declaration_version))
        .where(d.id.in_(ids), d.party == party, s.party == party)
    )
    return {row.declaration_id: row for row in rows}


def _earlier_for(
    session: Session,
    party: str,
    targets: pl.DataFrame,
    traders: Sequence[str],
    start: datetime,
    end: datetime,
) -> pl.DataFrame:
    """Only the history these declarations need: their traders, and their goods' prices."""
    d = Declaration
    window = between(start, end + timedelta(seconds=1))
    # Each lookup names the Party on the table it filters, so SQLite and PostgreSQL use
    # the (party, importer), (party, exporter) and (party, hs_code) indexes (measured: a
    # goods lookup went from 22 ms to 0.3 ms on 20 days of traffic).
    i = DeclarationItem
    parts = [
        read_rows(session, item_rows(d.party == party, window, who.in_(traders)))
        for who in (d.importer, d.exporter)
    ]
    goods = targets.select(pl.col("hs_code").str.slice(0, 6), "origin_country").unique()
    for hs6, origin in goods.iter_rows():
        upper = hs6[:-1] + chr(ord(hs6[-1]) + 1)
        same_goods = (i.party == party, i.hs_code >= hs6, i.hs_code < upper)
        parts.append(
            read_rows(
                session,
                item_rows(d.party == party, window, *same_goods, i.origin_country == origin),
            )
        )
    ids = targets.select("declaration_id").unique()
    return pl.concat(parts).unique().join(ids, on="declaration_id", how="anti")


def _threshold(
    session: Session, party: str, office: str, target_red: float, day: datetime
) -> float | None:
    """The score above which the office's last 30 days' decisions reach its red target."""
    s = SelectivityDecision
    scores = session.scalars(
        select(s.score).where(
            s.party == party,
            s.office == office,
            s.lodged_at >= day - timedelta(days=30),
            s.lodged_at < day,
        )
    ).all()
    if len(scores) < 50:
        return None
    ranked = sorted(scores, reverse=True)
    return float(ranked[min(len(ranked) - 1, int(target_red * len(ranked)))])


def get_decision(
    *, session: Session, party: str, declaration_id: int, agency: str | None = None
) -> SelectivityDecision | None:
    """The decision on the current version of one of ``party``'s declarations.

    With ``agency``, only a decision that notifies that agency (another agency's
    officer sees the controls that concern it, nothing else).
    """
    found = decisions_for(session=session, party=party, ids=[declaration_id]).get(declaration_id)
    if found is not None and agency is not None and agency not in json.loads(found.agencies):
        return None
    return found


def list_decisions(
    *,
    session: Session,
    party: str,
    offices: Sequence[str] = (),
    agency: str | None = None,
    channel: str | None = None,
    office: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[SelectivityDecision]:
    """The work queue: decisions on current declaration versions, AEOs first, then latest.

    Officers see their offices only; another agency's officer only the decisions
    that notify their agency.
    """
    d, s = Declaration, SelectivityDecision
    query = (
        select(s)
        .join(d, (d.id == s.declaration_id) & (d.version == s.declaration_version))
        .where(s.party == party, d.party == party)
        # Priority passage: AEOs' consignments first, then the latest lodged.
        .order_by(s.priority.desc(), s.lodged_at.desc(), s.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if offices:
        query = query.where(s.office.in_(offices))
    if agency is not None:
        query = query.where(s.agencies.contains(json.dumps(agency)))
    if channel:
        query = query.where(s.channel == channel)
    if office:
        query = query.where(s.office == office)
    return list(session.scalars(query))
