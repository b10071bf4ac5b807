"""The tracker's records: each Party's progress reports, and the semi-annual review snapshots."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from riskhub.actionplan import activities
from riskhub.actionplan.activities import ActionPlanError
from riskhub.actionplan.measures import Measure
from riskhub.actionplan.models import ProgressReport, ReviewSnapshot
from riskhub.reference.parties import CEFTA_PARTIES, SECRETARIAT_PARTY

STATUSES = {
    "not_started": "not started",
    "in_progress": "in progress",
    "delayed": "delayed",
    "done": "done",
    "not_applicable": "not applicable",
}
REPORTING = (*sorted(CEFTA_PARTIES), SECRETARIAT_PARTY)  # the seven and the Secretariat
_BY_PARTIES = {"Customs Administrations", "Other Agencies", "RMWG", "Risk Analysts",
               "Risk Management Task Team (RMTT)"}  # fmt: skip
PERIOD = re.compile(r"(20[2-9][0-9])-H([12])")


def period_of(day: date) -> str:
    """The half-year a review on ``day`` covers, such as 2026-H2."""
    return f"{day.year}-H{1 if day.month <= 6 else 2}"


def report(
    *, session: Session, party: str, activity: str, status: str, progress: int,
    evidence: str, comment: str, actor: str, now: datetime,
) -> ProgressReport:  # fmt: skip
    """Record ``party``'s progress on one activity; earlier reports stay as its history."""
    codes = {a.code for a in activities.load()}
    if activity not in codes:
        raise ActionPlanError(f"there is no activity {activity!r} in the Action Plan")
    if party not in REPORTING:
        raise ActionPlanError(f"{party} does not report on the Action Plan (CEFTA Parties and XS)")
    if status not in STATUSES:
        raise ActionPlanError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    if not 0 <= progress <= 100:
        raise ActionPlanError(f"progress is a percentage from 0 to 100, not {progress}")
    if status == "done" and progress != 100:
        raise ActionPlanError("an activity reported done is 100% complete")
    if status == "done" and not evidence.strip():
        raise ActionPlanError("say what shows it is done (evidence: a decision, a report, a link)")
    row = ProgressReport(party=party, activity=activity, status=status, progress=progress,
                         evidence=evidence.strip(), comment=comment.strip(), actor=actor,
                         at=now)  # fmt: skip
    session.add(row)
    session.flush()
    return row


def current(*, session: Session) -> dict[tuple[str, str], ProgressReport]:
    """The latest report of each Party on each activity, by (activity, party)."""
    latest = (
        select(func.max(ProgressReport.id))
        .group_by(ProgressReport.activity, ProgressReport.party)
        .scalar_subquery()
    )
    rows = session.scalars(select(ProgressReport).where(ProgressReport.id.in_(latest)))
    return {(r.activity, r.party): r for r in rows}


def history(*, session: Session, activity: str) -> list[ProgressReport]:
    """Every report on one activity, newest first."""
    query = select(ProgressReport).where(ProgressReport.activity == activity)
    return list(session.scalars(query.order_by(ProgressReport.id.desc())))


def expected(activity: activities.Activity) -> tuple[str, ...]:
    """Who reports on ``activity``: the Parties when administrations or the RMWG take part, the
    Secretariat (XS) when it does."""
    by_parties = bool(_BY_PARTIES & set(activity.entities))
    by_secretariat = "CEFTA Secretariat" in activity.entities
    return (*(sorted(CEFTA_PARTIES) if by_parties else ()),
            *((SECRETARIAT_PARTY,) if by_secretariat else ()))  # fmt: skip


def overall(reports: dict[tuple[str, str], ProgressReport], activity: activities.Activity) -> int:
    """An activity's progress: the mean over those expected to report (none reported counts 0).

    Those who reported it not applicable to them are left out of the mean.
    """
    values = []
    for party in expected(activity):
        found = reports.get((activity.code, party))
        if found is not None and found.status == "not_applicable":
            continue
        values.append(found.progress if found is not None else 0)
    return round(sum(values) / len(values)) if values else 0


def take_snapshot(
    *, session: Session, party: str, period: str, measured: dict[str, Measure], actor: str,
    now: datetime,
) -> ReviewSnapshot:  # fmt: skip
    """Freeze the tracker for a semi-annual review; one snapshot per half-year."""
    if PERIOD.fullmatch(period) is None:
        raise ActionPlanError(f"a review period is written like 2026-H2, not {period!r}")
    taken = session.scalar(select(ReviewSnapshot).where(ReviewSnapshot.period == period))
    if taken is not None:
        raise ActionPlanError(
            f"the {period} review was already taken on {taken.taken_at:%Y-%m-%d} by "
            f"{taken.taken_by}; reviews are kept as they were"
        )
    reports = current(session=session)
    content: dict[str, Any] = {"period": period, "taken_at": now.isoformat(), "activities": {}}
    for a in activities.load():
        parties = {p: {"status": r.status, "progress": r.progress}
                   for (code, p), r in reports.items() if code == a.code}  # fmt: skip
        content["activities"][a.code] = {"progress": overall(reports, a), "parties": parties}
    content["measures"] = {code: asdict(m) | {"met": m.met} for code, m in measured.items()}
    row = ReviewSnapshot(party=party, period=period, content=json.dumps(content),
                         taken_by=actor, taken_at=now)  # fmt: skip
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:  # taken at the same moment by someone else
        raise ActionPlanError(f"the {period} review was just taken by someone else") from exc
    return row


def snapshots(*, session: Session) -> list[ReviewSnapshot]:
    """Every review snapshot, oldest first."""
    return list(session.scalars(select(ReviewSnapshot).order_by(ReviewSnapshot.period)))


def compare(earlier: ReviewSnapshot, later: ReviewSnapshot) -> list[dict[str, Any]]:
    """Per activity: progress then and now, the Parties whose status changed, the KPIs."""
    before, after = json.loads(earlier.content), json.loads(later.content)
    rows = []
    for a in activities.load():
        was = before["activities"].get(a.code, {"progress": 0, "parties": {}})
        now = after["activities"].get(a.code, {"progress": 0, "parties": {}})
        changed = sorted(
            p for p in set(was["parties"]) | set(now["parties"])
            if was["parties"].get(p, {}).get("status") != now["parties"].get(p, {}).get("status")
        )  # fmt: skip
        rows.append({
            "code": a.code, "before": was["progress"], "after": now["progress"],
            "delta": now["progress"] - was["progress"], "changed": changed,
            "measure_before": before["measures"].get(a.code),
            "measure_after": after["measures"].get(a.code),
        })  # fmt: skip
    return rows
