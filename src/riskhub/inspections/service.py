"""Record inspection results, read them back, and share them as feedback on common profiles.

``record_many`` is the one path: the API records one result, the CLI a file of
them, the demo thousands. Each result is checked against the declaration it
names (its office, lodgement, items, decision and checklists); a bad one is
refused with its reasons and the good ones beside it still land. The control
report's reference makes a repeated submission harmless: the same content is
recognised, different content under the same reference is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from riskhub.db.base import naive_utc, utcnow
from riskhub.declarations.models import Declaration
from riskhub.inspections import checklists, times
from riskhub.inspections.models import (
    Checklist,
    Inspection,
    InspectionFeedback,
    InspectionFinding,
)
from riskhub.inspections.schemas import (
    TIMESTAMPS,
    FeedbackIn,
    InspectionIn,
)
from riskhub.kpis import rollup
from riskhub.matching.feedback import report_to_exit_party
from riskhub.profiles.service import shared_with
from riskhub.selectivity.models import SelectivityDecision
from riskhub.selectivity.service import decisions_for

# Clocks at a border post drift; a finish a few minutes "in the future" is not an error.
CLOCK_SLACK = timedelta(minutes=10)
# Which release-time interval each kind of inspection fills when the national system sent none.
TRS_FIELDS = {
    "documentary": ("document_start", "document_end"),
    "physical": ("physical_start", "physical_end"),
    "scan": ("physical_start", "physical_end"),
}


@dataclass(frozen=True)
class Recorder:
    """Who records: their user id, agency, and the offices they work at (empty: all)."""

    user_id: int | None
    agency: str = "customs"
    offices: tuple[str, ...] = ()
    # Another agency's officer: sees only what the decision sent to that agency. Set by
    # role, never inferred from the agency's name.
    other_agency: bool = False


@dataclass
class Recorded:
    """What became of one submitted result."""

    status: str  # created, existing, rejected, not_found
    inspection: Inspection | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)  # (field, reason)
    shared_on: list[str] = field(default_factory=list)


class ReferenceConflict(ValueError):
    """The reference is already used by a different result."""


def _hash(declaration_id: int, body: InspectionIn) -> str:
    content = body.model_dump(mode="json", exclude={"share_feedback"})
    text = json.dumps([declaration_id, content], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def record_many(
    *,
    session: Session,
    party: str,
    records: Sequence[tuple[int, InspectionIn]],
    recorder: Recorder,
) -> list[Recorded]:
    """Check and store inspection results of ``party``'s declarations, one outcome each."""
    ids = sorted({declaration_id for declaration_id, _ in records})
    found = {
        d.id: d
        for d in session.scalars(
            select(Declaration)
            .where(Declaration.party == party, Declaration.id.in_(ids))
            .options(selectinload(Declaration.items))
        )
    }
    decisions = decisions_for(session=session, party=party, ids=ids)
    references = [body.reference for _, body in records]
    existing = {
        row.reference: row
        for row in session.scalars(
            select(Inspection)
            .where(Inspection.party == party, Inspection.reference.in_(references))
            .options(selectinload(Inspection.findings))
        )
    }
    usable = {
        checklists.name_of(row, party): row
        for row in checklists.visible_checklists(session=session, party=party)
    }
    now = utcnow()
    out: list[Recorded] = []
    seen: dict[str, str] = {}
    for declaration_id, body in records:
        declaration = found.get(declaration_id)
        decision = decisions.get(declaration_id)
        if declaration is None or not _may_record(declaration, decision, recorder):
            out.append(Recorded("not_found"))
            continue
        digest = _hash(declaration_id, body)
        earlier = existing.get(body.reference)
        if earlier is not None or body.reference in seen:
            repeat = _repeat(session, party, body.reference, digest)
            if repeat.inspection is not None and body.share_feedback is not None:
                # A retry that now asks for feedback gets it; feedback already sent stays one.
                repeat.shared_on = _share(session, party, repeat.inspection, declaration,
                                          decision, body.share_feedback, now)  # fmt: skip
            out.append(repeat)
            continue
        problems = _problems(body, declaration, decision, usable, now)
        if problems:
            out.append(Recorded("rejected", problems=problems))
            continue
        try:
            # A savepoint each: a result sent twice at the same moment meets the unique
            # reference here, and the second is answered like any repeat.
            with session.begin_nested():
                row = _store(session, party, declaration, decision, body, recorder, digest, now)
                session.flush()
                _fill_times(session, party, declaration, decision, body, recorder)
                session.flush()
        except IntegrityError:
            out.append(_repeat(session, party, body.reference, digest))
            continue
        seen[body.reference] = digest
        # The Party whose export this was hears what its control found (S11).
        report_to_exit_party(session=session, party=party, declaration=declaration, inspection=row)
        shared = []
        if body.share_feedback is not None:
            shared = _share(session, party, row, declaration, decision, body.share_feedback, now)
        out.append(Recorded("created", inspection=row, shared_on=shared))
    session.flush()
    created = [r.inspection.declaration_id for r in out if r.status == "created" and r.inspection]
    rollup.refresh_declarations(connection=session.connection(), declaration_ids=created)
    return out


def _repeat(session: Session, party: str, reference: str, digest: str) -> Recorded:
    earlier = session.scalars(
        select(Inspection).where(Inspection.party == party, Inspection.reference == reference)
    ).one()
    if earlier.content_hash != digest:
        why = f"control report {reference} is already recorded with other content"
        return Recorded("rejected", problems=[("reference", why)])
    return Recorded("existing", inspection=earlier)


def _may_record(
    declaration: Declaration, decision: SelectivityDecision | None, recorder: Recorder
) -> bool:
    if recorder.offices and declaration.office not in recorder.offices:
        return False
    if recorder.other_agency:
        # Another agency inspects the consignments the decision sent to it.
        return decision is not None and recorder.agency in json.loads(decision.agencies)
    return True


def _problems(
    body: InspectionIn,
    declaration: Declaration,
    decision: SelectivityDecision | None,
    usable: dict[str, Checklist],
    now: datetime,
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    started, finished = naive_utc(body.started_at), naive_utc(body.finished_at)
    if started < declaration.lodged_at:
        problems.append(
            ("started_at", f"the control starts before the declaration was lodged "
                           f"({declaration.lodged_at:%Y-%m-%d %H:%M} UTC)")
        )  # fmt: skip
    if finished > now + CLOCK_SLACK:
        problems.append(("finished_at", "the control finishes in the future"))
    items = {item.item_no for item in declaration.items}
    for index, finding in enumerate(body.findings):
        if finding.item_no is not None and finding.item_no not in items:
            problems.append(
                (f"findings.{index}.item_no",
                 f"the declaration has no item {finding.item_no} (it has {len(items)})")
            )  # fmt: skip
    answered: dict[str, set[str]] = {}
    for index, answer in enumerate(body.answers):
        checklist = usable.get(answer.checklist)
        if checklist is None:
            problems.append(
                (f"answers.{index}.checklist", f"no checklist {answer.checklist!r} you may use")
            )
            continue
        keys = {item["key"] for item in json.loads(checklist.items)}
        if answer.item not in keys:
            problems.append(
                (f"answers.{index}.item",
                 f"checklist {answer.checklist} has no item {answer.item!r}")
            )  # fmt: skip
        answered.setdefault(answer.checklist, set()).add(answer.item)
    for name, keys in answered.items():
        required = [i["key"] for i in json.loads(usable[name].items) if i.get("required", True)]
        missing = [key for key in required if key not in keys]
        if missing:
            problems.append(
                ("answers", f"checklist {name}: required item {missing[0]!r} unanswered")
            )
    if body.share_feedback is not None and not _common_profiles(declaration.party, decision):
        problems.append(
            ("share_feedback", "no other owner's profile selected this declaration: "
                               "there is no common profile to send feedback on")
        )  # fmt: skip
    return problems


def _store(
    session: Session,
    party: str,
    declaration: Declaration,
    decision: SelectivityDecision | None,
    body: InspectionIn,
    recorder: Recorder,
    digest: str,
    now: datetime,
) -> Inspection:
    row = Inspection(
        party=party,
        reference=body.reference,
        declaration_id=declaration.id,
        declaration_version=declaration.version,
        decision_id=decision.id if decision is not None else None,
        office=declaration.office,
        agency=recorder.agency,
        joint_with=json.dumps([a for a in body.joint_with if a != recorder.agency]),
        kind=body.kind,
        inspector=body.inspector,
        started_at=naive_utc(body.started_at),
        finished_at=naive_utc(body.finished_at),
        answers=json.dumps([a.model_dump(mode="json") for a in body.answers]),
        outcome=body.outcome.value,
        additional_revenue_eur=body.additional_revenue_eur,
        seized_quantity=body.seized_quantity,
        seized_unit=body.seized_unit,
        notes=body.notes,
        content_hash=digest,
        recorded_by=recorder.user_id,
        recorded_at=now,
        findings=[
            InspectionFinding(
                party=party, category=f.category.value, item_no=f.item_no, detail=f.detail
            )
            for f in body.findings
        ],
    )
    session.add(row)
    return row


def _fill_times(
    session: Session,
    party: str,
    declaration: Declaration,
    decision: SelectivityDecision | None,
    body: InspectionIn,
    recorder: Recorder,
) -> None:
    """An inspection's start and end fill the release-time interval of its kind, if empty.

    Times the national system sent are never overwritten, and nothing is filled
    that would put the row out of order (e.g. a control ending after the release).
    """
    row = times.release_row(session, party, declaration.id)
    start, end = ("agency_start", "agency_end") if recorder.other_agency else TRS_FIELDS[body.kind]
    started, finished = naive_utc(body.started_at), naive_utc(body.finished_at)
    fill = {start: started, end: finished}
    if decision is not None:
        fill["channel_at"] = min(decision.decided_at, started)
    fill = {name: value for name, value in fill.items() if getattr(row, name) is None}
    current = {name: getattr(row, name) for name in TIMESTAMPS}
    if fill and not times.check_order({**current, **fill, "lodged_at": declaration.lodged_at}):
        for name, value in fill.items():
            setattr(row, name, value)
        row.updated_at = utcnow()


def _common_profiles(party: str, decision: SelectivityDecision | None) -> list[tuple[str, str]]:
    """(owner, code) of the other owners' profiles that selected the declaration."""
    if decision is None:
        return []
    return [
        (str(r["owner"]), str(r["profile"]))
        for r in json.loads(decision.reasons)
        if r.get("profile") and r.get("selected") and r.get("owner") != party
    ]


def _share(
    session: Session,
    party: str,
    row: Inspection,
    declaration: Declaration,
    decision: SelectivityDecision | None,
    sharing: FeedbackIn,
    now: datetime,
) -> list[str]:
    """Feedback on each common profile that selected the declaration: no traders, no free text."""
    session.flush()
    summary = {
        "date": row.started_at.date().isoformat(),
        "office": row.office,
        "channel": decision.channel if decision is not None else None,
        "kind": row.kind,
        "agency": row.agency,
        "outcome": row.outcome,
        "findings": sorted({f.category for f in row.findings}),
        "additional_revenue_eur": row.additional_revenue_eur,
        "seized_quantity": row.seized_quantity,
        "seized_unit": row.seized_unit,
        "goods": sorted({(i.hs_code[:6], i.origin_country) for i in declaration.items}),
    }
    already = set(
        session.execute(
            select(InspectionFeedback.profile_owner, InspectionFeedback.profile_code).where(
                InspectionFeedback.inspection_id == row.id
            )
        ).all()
    )
    shared = []
    for owner, code in _common_profiles(party, decision):
        shared.append(f"{owner}/{code}")
        if (owner, code) in already:
            continue
        session.add(
            InspectionFeedback(
                party=party, inspection_id=row.id, profile_owner=owner, profile_code=code,
                summary=json.dumps(summary), distribution=sharing.level.value,
                tlp=sharing.tlp.value, sharing_group=sharing.group, shared_at=now,
            )
        )  # fmt: skip
    return shared


@dataclass(frozen=True)
class Reached:
    """A declaration a recorder may work on, with the decision on its current version."""

    declaration: Declaration
    decision: SelectivityDecision | None


def reach(
    *, session: Session, party: str, declaration_id: int, recorder: Recorder
) -> Reached | None:
    """The declaration and its decision, or None when the recorder may not see it."""
    declaration = session.get(Declaration, declaration_id)
    if declaration is None or declaration.party != party:
        return None
    decision = decisions_for(session=session, party=party, ids=[declaration_id]).get(declaration_id)
    if not _may_record(declaration, decision, recorder):
        return None
    return Reached(declaration, decision)


def inspections_of(
    *, session: Session, party: str, declaration_id: int, recorder: Recorder
) -> list[Inspection] | None:
    """The inspections of one declaration; None when the caller may not see it."""
    if (
        reach(session=session, party=party, declaration_id=declaration_id, recorder=recorder)
        is None
    ):
        return None
    query = (
        select(Inspection)
        .where(Inspection.party == party, Inspection.declaration_id == declaration_id)
        .options(selectinload(Inspection.findings))
        .order_by(Inspection.started_at, Inspection.id)
    )
    if recorder.other_agency:
        rows = [
            r for r in session.scalars(query)
            if r.agency == recorder.agency or recorder.agency in json.loads(r.joint_with)
        ]  # fmt: skip
        return rows
    return list(session.scalars(query))


def shared_feedback(
    *, session: Session, party: str, owner: str, code: str
) -> list[InspectionFeedback]:
    """Feedback on one profile that ``party`` may read: its own, and what others shared with it.

    The distribution chosen by the inspecting Party is the only rule, for RMWG
    members too: feedback shared with a group reaches that group and no one else.
    """
    rows = session.scalars(
        select(InspectionFeedback)
        .where(InspectionFeedback.profile_owner == owner, InspectionFeedback.profile_code == code)
        .order_by(InspectionFeedback.shared_at.desc(), InspectionFeedback.id.desc())
        .limit(500)
    )
    return [row for row in rows if row.party == party or shared_with(session, party, row)]


QUEUE_CHANNELS = ("red", "yellow")  # the border controls; blue is audited after release


def awaiting_control(
    *, session: Session, party: str, recorder: Recorder, limit: int = 100
) -> tuple[list[tuple[SelectivityDecision, str]], int]:
    """The work queue: red and yellow consignments not yet inspected by the recorder's agency."""
    d, s, i = Declaration, SelectivityDecision, Inspection
    agency = json.dumps(recorder.agency)
    inspected = (
        select(i.id)
        .where(i.party == party, i.declaration_id == d.id, i.declaration_version == d.version)
        .where(or_(i.agency == recorder.agency, i.joint_with.contains(agency)))
    )
    # The declaration is joined by its id (a decision is its declaration's Party's, and on
    # PostgreSQL row-level security holds both): naming its Party too leads SQLite to walk
    # every declaration of the Party first (1.5 s instead of 90 ms on 537,000).
    query = (
        select(s, d.reference)
        .join(d, (d.id == s.declaration_id) & (d.version == s.declaration_version))
        .where(s.party == party, s.channel.in_(QUEUE_CHANNELS))
        .where(~inspected.exists())
    )
    if recorder.offices:
        query = query.where(s.office.in_(recorder.offices))
    if recorder.other_agency:
        # Another agency works the consignments the decision sent to it, as the API's queue.
        query = query.where(s.agencies.contains(agency))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    # Priority passage first (AEOs), then the latest lodged: the API's queue order.
    rows = session.execute(
        query.order_by(s.priority.desc(), s.lodged_at.desc(), s.id.desc()).limit(limit)
    ).all()
    return [(row[0], row[1]) for row in rows], total
