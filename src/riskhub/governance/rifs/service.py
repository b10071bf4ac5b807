"""Risk Information Forms: raise, share as distributed, give the mandatory feedback, withdraw.

A RIF is the originating Party's; others see it as its distribution allows,
with the operators involved replaced by pseudonyms (their names never leave).
Receiving Parties owe feedback: a RIF shared for longer than ``FEEDBACK_DAYS``
without one is flagged overdue to them. Parties on other hubs receive it over
the exchange, in the transaction that shares it.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from riskhub.access.distribution import Distribution, pseudonym
from riskhub.access.models import SharingGroup, SharingGroupMember
from riskhub.declarations.models import DeclarationItem
from riskhub.exchange.outbox import pseudonym_key
from riskhub.governance.rifs import partners
from riskhub.governance.rifs.models import Rif, RifFeedback
from riskhub.governance.rifs.schemas import FeedbackIn, RifIn, SharingIn
from riskhub.inspections.models import Inspection
from riskhub.inspections.schemas import HIT_OUTCOMES
from riskhub.profiles.service import shared_with
from riskhub.reference.parties import CEFTA_PARTIES

FEEDBACK_DAYS = 30  # receiving Parties answer within a month (EU practice for RIFs)


class RifError(ValueError):
    """A RIF request refused by its state (expired, withdrawn, one's own); the text says why."""


def raise_rif(
    *, session: Session, party: str, body: RifIn, user_id: int | None, now: datetime
) -> Rif:
    """Record a new RIF of ``party``; shared at once when the body says so."""
    if party not in CEFTA_PARTIES:
        raise RifError(f"RIFs are raised by the CEFTA Parties' administrations, not {party}")
    if body.valid_until < now.date():
        raise RifError(f"valid_until {body.valid_until} is already past")
    prefix = f"{party}-RIF-{now.year}-"
    count = session.scalar(
        select(func.count(Rif.id)).where(Rif.party == party, Rif.number.like(f"{prefix}%"))
    )
    row = Rif(
        party=party,
        number=f"{prefix}{(count or 0) + 1:04d}",
        status="draft",
        title=body.title,
        risk_area=body.risk_area,
        description=body.description,
        modus_operandi=body.modus_operandi,
        indicators=json.dumps(body.indicators),
        hs_codes=json.dumps(body.hs_codes),
        goods_description=body.goods_description,
        origin_country=body.origin_country,
        dispatch_country=body.dispatch_country,
        route=body.route,
        transport_mode=body.transport_mode,
        operators=json.dumps([o.model_dump() for o in body.operators]),
        detection_technique=body.detection_technique,
        seized_quantity=body.seized_quantity,
        seized_unit=body.seized_unit,
        seized_value_eur=body.seized_value_eur,
        recommended_control=body.recommended_control,
        urgency=body.urgency,
        valid_until=body.valid_until,
        distribution=body.distribution.value,
        tlp=body.tlp.value,
        sharing_group=body.group,
        raised_by=user_id,
        raised_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    if body.share:
        share(session=session, party=party, rif_id=row.id, sharing=body, now=now)
    return row


def get_rif(*, session: Session, party: str, rif_id: int) -> Rif | None:
    """A RIF ``party`` may read: its own, or one shared with it (drafts stay with the owner)."""
    row = session.get(Rif, rif_id)
    if row is None:
        return None
    if row.party == party:
        return row
    return row if row.status != "draft" and shared_with(session, party, row) else None


def get_by_number(*, session: Session, party: str, number: str) -> Rif | None:
    """A RIF ``party`` may read, by its number (as ``get_rif``: others' drafts are not found)."""
    found = session.scalar(select(Rif.id).where(Rif.number == number))
    return None if found is None else get_rif(session=session, party=party, rif_id=found)


def list_rifs(*, session: Session, party: str, limit: int = 200) -> list[Rif]:
    """The RIFs ``party`` raised or received, newest first."""
    # Only own RIFs and shared, non-"own" ones can qualify: the database drops the rest
    # before the exact distribution rule looks at each.
    mine_or_shared = or_(Rif.party == party, and_(Rif.status != "draft", Rif.distribution != "own"))
    rows = session.scalars(
        select(Rif).where(mine_or_shared).order_by(Rif.raised_at.desc(), Rif.id.desc())
    )
    out = []
    for row in rows:
        if row.party == party or (row.status != "draft" and shared_with(session, party, row)):
            out.append(row)
            if len(out) >= limit:
                break
    return out


def share(
    *, session: Session, party: str, rif_id: int, sharing: SharingIn, now: datetime
) -> Rif | None:
    """Share one of ``party``'s RIFs as ``sharing`` says; Parties on other hubs get it sent."""
    row = session.get(Rif, rif_id)
    if row is None or row.party != party:
        return None
    usable(row, now.date(), "shared")
    if sharing.distribution is Distribution.GROUP and party not in _members(session, sharing.group):
        raise RifError(f"{party} is not a member of a sharing group named {sharing.group!r}")
    row.distribution, row.tlp = sharing.distribution.value, sharing.tlp.value
    row.sharing_group = sharing.group
    row.status, row.shared_at, row.updated_at = "shared", row.shared_at or now, now
    session.flush()
    partners.send(session=session, row=row, now=now)
    return row


def withdraw(*, session: Session, party: str, rif_id: int, now: datetime) -> Rif | None:
    """Withdraw one of ``party``'s RIFs: still readable (with its feedback), no longer acted on."""
    row = session.get(Rif, rif_id)
    if row is None or row.party != party:
        return None
    if row.status == "withdrawn":
        raise RifError(f"{row.number} is already withdrawn")
    row.status, row.updated_at = "withdrawn", now
    session.flush()
    if row.shared_at is not None:
        partners.send(session=session, row=row, now=now)  # the partner hubs hear of it too
    return row


def give_feedback(
    *,
    session: Session,
    party: str,
    rif_id: int,
    body: FeedbackIn,
    user_id: int | None,
    now: datetime,
) -> RifFeedback | None:
    """Record (or amend) ``party``'s feedback on a RIF it received."""
    row = get_rif(session=session, party=party, rif_id=rif_id)
    if row is None:
        return None
    if row.party == party:
        raise RifError("feedback comes from the Parties that received the RIF, not its originator")
    found = session.scalars(
        select(RifFeedback).where(RifFeedback.rif_id == rif_id, RifFeedback.party == party)
    ).first()
    feedback = found or RifFeedback(rif_id=rif_id, party=party)
    if found is None:
        session.add(feedback)
    feedback.control_done, feedback.outcome = body.control_done, body.outcome
    feedback.controls, feedback.detections = body.controls, body.detections
    feedback.value_detected_eur, feedback.comment = body.value_detected_eur, body.comment
    feedback.given_by, feedback.given_at = user_id, now
    session.flush()
    return feedback


def feedback_from_inspections(
    *, session: Session, party: str, row: Rif, since: datetime, until: datetime
) -> FeedbackIn:
    """A draft of ``party``'s feedback from its own controls of the RIF's goods in a period.

    Counts ``party``'s inspections (finished in [since, until)) of declarations
    with an item under one of the RIF's HS codes; a hit is an outcome that found
    something, the value its additional revenue.
    """
    prefixes = json.loads(row.hs_codes)
    if not prefixes:
        raise RifError(f"{row.number} names no HS codes to look for in the inspection results")
    item = DeclarationItem
    goods = select(item.declaration_id).where(
        item.party == party, or_(*(item.hs_code.startswith(p) for p in prefixes))
    )
    i = Inspection
    rows = session.execute(
        select(i.outcome, i.additional_revenue_eur).where(
            i.party == party, i.finished_at >= since, i.finished_at < until,
            i.declaration_id.in_(goods),
        )
    ).all()  # fmt: skip
    hits = [r for r in rows if r.outcome in HIT_OUTCOMES]
    seized = any(r.outcome == "seizure" for r in hits)
    return FeedbackIn(
        control_done=bool(rows),
        outcome=("seizure" if seized else "irregularity" if hits else "no_irregularity")
        if rows
        else "no_controls",
        controls=len(rows),
        detections=len(hits),
        value_detected_eur=round(sum(r.additional_revenue_eur or 0 for r in hits), 2),
        comment=f"{len(rows)} controls of these goods between {since:%Y-%m-%d} and "
        f"{until:%Y-%m-%d}, {len(hits)} found something",
    )


def feedback_of(*, session: Session, party: str, row: Rif) -> list[Any]:
    """All feedback for the originator (partner hubs' too); a receiving Party sees its own."""
    query = select(RifFeedback).where(RifFeedback.rif_id == row.id).order_by(RifFeedback.party)
    if row.party != party:
        query = query.where(RifFeedback.party == party)
        return list(session.scalars(query))
    here = list(session.scalars(query))
    given = {f.party for f in here}
    sent = [
        f for f in partners.feedback_sent_back(session=session, row=row) if f.party not in given
    ]
    return sorted([*here, *sent], key=lambda f: f.party)


def expired(row: Rif, today: date) -> bool:
    return row.valid_until < today


def view(*, session: Session, party: str, row: Rif, now: datetime) -> dict[str, Any]:
    """The RIF as ``party`` may read it: operators minimised for everyone but the originator."""
    feedback = feedback_of(session=session, party=party, row=row)
    key = pseudonym_key() if row.party != party else b""
    operators = []
    for op in json.loads(row.operators):
        if row.party == party:
            operators.append(op)
        else:
            hidden = pseudonym(op["id"], owner=row.party, key=key) if op.get("id") else None
            operators.append({"role": op["role"], "id": hidden, "name": None})
    overdue = (
        row.party != party
        and row.status == "shared"
        and not feedback
        and row.shared_at is not None
        and row.shared_at + timedelta(days=FEEDBACK_DAYS) < now
    )
    return {
        **{c.name: getattr(row, c.name) for c in Rif.__table__.columns},
        "indicators": json.loads(row.indicators),
        "hs_codes": json.loads(row.hs_codes),
        "operators": operators,
        "expired": expired(row, now.date()),
        "feedback": feedback,
        "feedback_overdue": overdue,
    }


def _members(session: Session, group: str | None) -> set[str]:
    m = SharingGroupMember
    query = select(m.member).join(SharingGroup, SharingGroup.id == m.group_id)
    return set(session.scalars(query.where(SharingGroup.name == group)))


def usable(row: Rif, today: date, doing: str) -> None:
    """Refuse (RifError) to act on a withdrawn or expired RIF; ``doing`` names the act."""
    if row.status == "withdrawn":
        raise RifError(f"{row.number} was withdrawn and cannot be {doing}")
    if expired(row, today):
        raise RifError(f"{row.number} expired on {row.valid_until} and cannot be {doing}")
