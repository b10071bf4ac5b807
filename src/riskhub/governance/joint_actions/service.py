"""Joint enforcement actions: plan, RMWG validation, participants' results, summary.

The lifecycle: ``planned`` (a Party proposes) → ``validated`` by the RMWG, or
``rejected`` with a reason → ``running`` once its period has started (a
validated action whose first day has come; no one has to press a button) →
``closed`` by the RMWG with a summary. Each participating Party reports its
results once and may amend them while the action runs; nothing is reported
after closing. Who sees an action: its participants, the RMWG and the
Secretariat; another Party does not learn of it (404), as an operation's
plan is need-to-know.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from riskhub.access.roles import Role
from riskhub.db.base import utcnow
from riskhub.db.tenancy import switched
from riskhub.governance.joint_actions.models import JointAction, JointActionReport
from riskhub.governance.joint_actions.schemas import ActionIn, ReportIn
from riskhub.reference.parties import CEFTA_PARTIES, EU_MEMBER_STATES

OVERSIGHT = frozenset({Role.RMWG, Role.SECRETARIAT})


@dataclass(frozen=True)
class Actor:
    """Who acts: their user id, Party, role and name."""

    user_id: int | None
    party: str
    role: Role
    name: str

    def describe(self) -> str:
        return f"{self.name} ({self.role.value}, {self.party})"[:160]


class ActionNotAllowed(PermissionError):
    """The caller sees the action but may not do this to it (403)."""


class ActionConflict(ValueError):
    """The action is not in a state that allows this (409)."""


class ActionInvalid(ValueError):
    """Bad input: ``problems`` holds (field, why)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{name}: {why}" for name, why in problems))
        self.problems = problems


def status_of(row: JointAction, today: date | None = None) -> str:
    """The stored status, or ``running`` once a validated action's period has begun."""
    today = today or utcnow().date()
    if row.status == "validated" and row.period_from <= today:
        return "running"
    return row.status


def participants_of(row: JointAction) -> list[str]:
    return list(json.loads(row.participants))


def visible(row: JointAction, actor: Actor) -> bool:
    """Participants, the RMWG and the Secretariat see an action; other Parties do not."""
    return actor.role in OVERSIGHT or actor.party in participants_of(row)


def list_actions(*, session: Session, actor: Actor) -> list[JointAction]:
    """The actions ``actor`` may see, newest first."""
    rows = session.scalars(select(JointAction).order_by(JointAction.id.desc()))
    return [row for row in rows if visible(row, actor)]


def get_action(*, session: Session, actor: Actor, action_id: int) -> JointAction | None:
    """An action ``actor`` may see, or None (a 404)."""
    row = session.get(JointAction, action_id)
    return row if row is not None and visible(row, actor) else None


def plan(
    *, session: Session, actor: Actor, data: ActionIn, today: date | None = None
) -> JointAction:
    """Propose an action to the RMWG; the proposing Party always takes part."""
    today = today or utcnow().date()
    problems: list[tuple[str, str]] = []
    if actor.party not in CEFTA_PARTIES:
        raise ActionNotAllowed("joint actions are proposed by a CEFTA Party")
    unknown = [p for p in data.participants if p not in CEFTA_PARTIES and p not in EU_MEMBER_STATES]
    if unknown:
        problems.append(("participants", f"not a CEFTA Party or EU Member State: {unknown[0]}"))
    participants = list(dict.fromkeys([actor.party, *data.participants]))
    if len(participants) < 2:
        problems.append(("participants", "a joint action needs at least one other Party"))
    if data.period_to < today:
        problems.append(("period_to", "the period has already ended"))
    if problems:
        raise ActionInvalid(problems)
    row = JointAction(
        party=actor.party, title=data.title, goal=data.goal, period_from=data.period_from,
        period_to=data.period_to, participants=json.dumps(participants),
        agencies=json.dumps(list(dict.fromkeys(data.agencies))),
        profiles=json.dumps(list(dict.fromkeys(data.profiles))),
        rifs=json.dumps(sorted(set(data.rifs))), status="planned", decision_note="",
        summary="", created_by=actor.user_id, created_at=utcnow(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


@contextmanager
def _as_owner(session: Session, row: JointAction) -> Iterator[None]:
    # The action row is its proposer's: the RMWG's decision is written in its name,
    # once the role has been checked (row-level security lets only the owner write).
    with switched(session, row.party):
        yield
        session.flush()


def _decidable(session: Session, actor: Actor, action_id: int) -> JointAction | None:
    row = get_action(session=session, actor=actor, action_id=action_id)
    if row is not None and actor.role is not Role.RMWG:
        raise ActionNotAllowed("only the RMWG validates, rejects and closes joint actions")
    return row


def validate(
    *, session: Session, actor: Actor, action_id: int, comment: str = ""
) -> JointAction | None:
    """The RMWG validates a planned action; it runs once its period begins."""
    row = _decidable(session, actor, action_id)
    if row is None:
        return None
    if row.status != "planned":
        raise ActionConflict(
            f"action {row.id} is {status_of(row)}: only a planned one is validated"
        )
    with _as_owner(session, row):
        row.status, row.decision_note = "validated", comment
        row.decided_by, row.decided_at = actor.describe(), utcnow()
    return row


def reject(*, session: Session, actor: Actor, action_id: int, reason: str) -> JointAction | None:
    """The RMWG rejects a planned action, saying why."""
    row = _decidable(session, actor, action_id)
    if row is None:
        return None
    if row.status != "planned":
        raise ActionConflict(f"action {row.id} is {status_of(row)}: only a planned one is rejected")
    with _as_owner(session, row):
        row.status, row.decision_note = "rejected", reason
        row.decided_by, row.decided_at = actor.describe(), utcnow()
    return row


def close(
    *, session: Session, actor: Actor, action_id: int, summary: str, today: date | None = None
) -> JointAction | None:
    """The RMWG closes a running action with its summary; results are final from then on."""
    row = _decidable(session, actor, action_id)
    if row is None:
        return None
    state = status_of(row, today)
    if state == "validated":
        raise ActionConflict(f"action {row.id} starts on {row.period_from}: it has not run yet")
    if state != "running":
        raise ActionConflict(f"action {row.id} is {state}: only a running one is closed")
    with _as_owner(session, row):
        row.status, row.summary = "closed", summary
        row.closed_by, row.closed_at = actor.describe(), utcnow()
    return row


def report(
    *, session: Session, actor: Actor, action_id: int, data: ReportIn, today: date | None = None
) -> tuple[JointActionReport, bool] | None:
    """Record the actor's Party's results (True), or amend them if already reported (False)."""
    row = get_action(session=session, actor=actor, action_id=action_id)
    if row is None:
        return None
    if actor.party not in participants_of(row):
        raise ActionNotAllowed(f"{actor.party} does not take part in action {row.id}")
    state = status_of(row, today)
    if state != "running":
        raise ActionConflict(_not_running(row, state))
    values = data.model_dump()
    now = utcnow()
    existing = _report_of(session, row.id, actor.party)
    if existing is None:
        try:
            # The same Party reporting twice at once: the second becomes an amendment.
            with session.begin_nested():
                made = JointActionReport(
                    action_id=row.id, party=actor.party, version=1,
                    reported_by=actor.user_id, reported_at=now, **values,
                )  # fmt: skip
                session.add(made)
                session.flush()
            return made, True
        except IntegrityError:
            existing = _report_of(session, row.id, actor.party)
            assert existing is not None
    for name, value in values.items():
        setattr(existing, name, value)
    existing.version += 1
    existing.reported_by, existing.amended_at = actor.user_id, now
    session.flush()
    return existing, False


def _not_running(row: JointAction, state: str) -> str:
    if state == "planned":
        return f"action {row.id} is not validated by the RMWG yet: results come once it runs"
    if state == "validated":
        return f"action {row.id} starts on {row.period_from}: results come once it runs"
    if state == "closed":
        return f"action {row.id} is closed: results can no longer be reported or amended"
    return f"action {row.id} was rejected: there are no results to report"


def _report_of(session: Session, action_id: int, party: str) -> JointActionReport | None:
    return session.scalars(
        select(JointActionReport).where(
            JointActionReport.action_id == action_id, JointActionReport.party == party
        )
    ).first()


def reports_of(*, session: Session, row: JointAction) -> list[JointActionReport]:
    """Every participant's results, by Party."""
    return list(
        session.scalars(
            select(JointActionReport)
            .where(JointActionReport.action_id == row.id)
            .order_by(JointActionReport.party)
        )
    )


def reports_for(*, session: Session, rows: list[JointAction]) -> dict[int, list[JointActionReport]]:
    """Every participant's results of several actions in one query, by action and Party."""
    out: dict[int, list[JointActionReport]] = {row.id: [] for row in rows}
    if not rows:
        return out
    r = JointActionReport
    query = select(r).where(r.action_id.in_(list(out))).order_by(r.action_id, r.party)
    for report in session.scalars(query):
        out[report.action_id].append(report)
    return out


def results(row: JointAction, reports: list[JointActionReport]) -> dict[str, Any]:
    """The action's results across participants: totals, detection rate, who has not reported."""
    participants = participants_of(row)
    reported = [r.party for r in reports]
    controls = sum(r.controls for r in reports)
    detections = sum(r.detections for r in reports)
    seized: dict[str, float] = defaultdict(float)
    for r in reports:
        if r.seized_quantity is not None and r.seized_unit is not None:
            seized[r.seized_unit] += r.seized_quantity
    return {
        "participants": participants,
        "reported": reported,
        "missing": [p for p in participants if p not in reported],
        "controls": controls,
        "detections": detections,
        "detection_rate": round(detections / controls, 4) if controls else None,
        "seized_value_eur": round(sum(r.seized_value_eur for r in reports), 2),
        "seized": {unit: round(q, 3) for unit, q in sorted(seized.items())},
    }


def summary_of(row: JointAction, today: date | None = None) -> dict[str, Any]:
    """The action as lists show it."""
    return {
        "id": row.id, "party": row.party, "title": row.title, "period_from": row.period_from,
        "period_to": row.period_to, "participants": participants_of(row),
        "status": status_of(row, today),
    }  # fmt: skip


def detail_of(session: Session, row: JointAction) -> dict[str, Any]:
    """The action with its plan, decisions, each participant's results and their totals."""
    reports = reports_of(session=session, row=row)
    return {
        **summary_of(row),
        "goal": row.goal, "agencies": json.loads(row.agencies),
        "profiles": json.loads(row.profiles), "rifs": json.loads(row.rifs),
        "decision_note": row.decision_note, "decided_by": row.decided_by,
        "decided_at": row.decided_at, "closing_summary": row.summary,
        "closed_by": row.closed_by, "closed_at": row.closed_at, "created_at": row.created_at,
        "reports": reports, "results": results(row, reports),
    }  # fmt: skip


def describe(session: Session, row: JointAction) -> list[str]:
    """A joint action's results as printed: a line per Party, then the totals."""
    out = detail_of(session, row)
    lines = [
        f"Joint action {row.id} '{row.title}' ({out['status']}, "
        f"{row.period_from} - {row.period_to}), by {row.party}:"
    ]
    for r in out["reports"]:
        seized = f", seized {_quantity(r.seized_quantity)} {r.seized_unit}" if r.seized_unit else ""
        lines.append(
            f"  {r.party}: {r.controls} controls, {r.detections} detections{seized}, "
            f"EUR {r.seized_value_eur:,.2f}" + (" (amended)" if r.version > 1 else "")
        )
    res = out["results"]
    rate = f"{res['detection_rate']:.1%}" if res["detection_rate"] is not None else "-"
    lines.append(
        f"  total: {res['controls']} controls, {res['detections']} detections ({rate}), "
        f"EUR {res['seized_value_eur']:,.2f}; not reported: "
        f"{', '.join(res['missing']) or 'none'}"
    )
    return lines


def _quantity(value: float | None) -> str:
    return f"{value or 0:,.3f}".rstrip("0").rstrip(".")
