"""RIFs between hubs: shared RIFs out, their feedback back, for Parties on other hubs.

A RIF shared with Parties that another hub serves leaves as a ``rif`` message
(without operators) in the transaction that shares it, and again when it is
withdrawn. On that hub it is a received document: the Party reads it and sends
its feedback back to the originator as a ``rif_feedback`` message, which the
originator's hub shows beside the feedback given here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from riskhub.access.distribution import Distribution, Sharing, Tlp, audience
from riskhub.exchange.bilateral import send_to_party
from riskhub.exchange.keys import identity, partners
from riskhub.exchange.messages import MessageType
from riskhub.exchange.messages import Rif as RifMessage
from riskhub.exchange.messages import RifFeedback as FeedbackMessage
from riskhub.exchange.models import OutboxMessage, ReceivedDocument
from riskhub.exchange.outbox import Outgoing, enqueue
from riskhub.governance.rifs.models import Rif
from riskhub.governance.rifs.schemas import FeedbackIn
from riskhub.logs import log
from riskhub.profiles.service import shared_with
from riskhub.reference.parties import CEFTA_PARTIES, EU_MEMBER_STATES

EVERYONE = (*CEFTA_PARTIES, *EU_MEMBER_STATES)


@dataclass(frozen=True)
class PartnerFeedback:
    """Feedback a Party on another hub sent back (the same fields as feedback given here)."""

    party: str
    control_done: bool
    outcome: str
    controls: int
    detections: int
    value_detected_eur: float | None
    comment: str
    given_at: datetime


def send(*, session: Session, row: Rif, now: datetime) -> int:
    """Queue the RIF (shared or withdrawn) for the hubs of the Parties it is shared with."""
    me = identity()
    if row.party not in me.parties:
        return 0
    group = frozenset(p for p in EVERYONE if shared_with(session, p, row))
    sharing = Sharing(row.party, Distribution(row.distribution), Tlp(row.tlp), group)
    receivers = sorted(audience(sharing, EVERYONE) - me.parties)
    nodes = partners(session=session)
    if not receivers or not nodes:
        return 0
    payload = RifMessage(
        rif_id=row.number,
        title=row.title,
        risk_area=row.risk_area,
        description=row.description[:5000],
        indicators=json.loads(row.indicators)[:50],
        hs_codes=json.loads(row.hs_codes),
        urgency=row.urgency,
        valid_until=datetime.combine(row.valid_until, datetime.max.time()).replace(microsecond=0),
        modus_operandi=row.modus_operandi,
        recommended_control=row.recommended_control,
        detection_technique=row.detection_technique,
        origin_country=row.origin_country,
        dispatch_country=row.dispatch_country,
        status="withdrawn" if row.status == "withdrawn" else "shared",
    )
    message = Outgoing(
        MessageType.RIF, payload, row.party, receivers, Distribution(row.distribution),
        Tlp(row.tlp), group, version=row.updated_at.isoformat(),
    )  # fmt: skip
    return enqueue(session=session, identity=me, message=message, now=now, nodes=nodes)


def received(*, session: Session, party: str) -> list[dict[str, Any]]:
    """The RIFs partner hubs sent ``party``, newest first, with when it answered each."""
    d = ReceivedDocument
    rows = session.scalars(
        select(d)
        .where(d.party == party, d.type == MessageType.RIF.value)
        .order_by(d.received_at.desc(), d.id.desc())
    )
    out = []
    for row in rows:
        try:
            rif = RifMessage.model_validate_json(row.payload)
        except ValidationError:
            # Checked when it arrived; one kept under an older schema is skipped, not a 500.
            log.warning("rifs.unreadable_received", key=row.key, sender=row.sender_party)
            continue
        out.append(
            {
                **rif.model_dump(),
                "number": rif.rif_id,
                "from_party": row.sender_party,
                "tlp": row.tlp,
                "received_at": row.received_at,
                "feedback_sent_at": _answered(session, party, rif.rif_id),
            }
        )
    return out


def feedback_on_received(
    *, session: Session, party: str, number: str, body: FeedbackIn, now: datetime
) -> dict[str, Any] | None:
    """Send ``party``'s feedback on a RIF a partner hub sent it back to the originator."""
    d = ReceivedDocument
    row = session.scalars(
        select(d).where(d.party == party, d.type == MessageType.RIF.value, d.key == number)
    ).first()
    if row is None:
        return None
    payload = FeedbackMessage(
        rif_id=number, rif_party=row.sender_party, party=party, given_at=now,
        **body.model_dump(),
    )  # fmt: skip
    send_to_party(
        session=session, identity=identity(), party=party, other=row.sender_party,
        type=MessageType.RIF_FEEDBACK, payload=payload, now=now, version=now.isoformat(),
    )  # fmt: skip
    return {"party": party, **body.model_dump(), "given_at": now}


def feedback_sent_back(*, session: Session, row: Rif) -> list[PartnerFeedback]:
    """What Parties on other hubs answered to ``row``, only from those it was shared with."""
    d = ReceivedDocument
    docs = session.scalars(
        select(d).where(
            d.party == row.party,
            d.type == MessageType.RIF_FEEDBACK.value,
            d.key.startswith(f"{row.number}:", autoescape=True),
        )
    )
    out = []
    for doc in docs:
        try:
            answer = FeedbackMessage.model_validate_json(doc.payload)
        except ValidationError:
            log.warning("rifs.unreadable_feedback", key=doc.key, sender=doc.sender_party)
            continue
        if answer.rif_id != row.number or not shared_with(session, answer.party, row):
            continue  # feedback on a RIF the Party was never given is not feedback
        fields = answer.model_dump(exclude={"rif_id", "rif_party"})
        out.append(PartnerFeedback(**fields))
    return out


def _answered(session: Session, party: str, number: str) -> datetime | None:
    o = OutboxMessage
    prefix = f"{MessageType.RIF_FEEDBACK.value}:{party}:{number}:{party}:"
    return session.scalar(
        select(func.max(o.created_at)).where(
            o.party == party,
            o.type == MessageType.RIF_FEEDBACK.value,
            o.subject.startswith(prefix, autoescape=True),
        )
    )
