"""Mutual recognition of AEOs (M3): a Party treats another Party's, or the EU's, AEOs as its own.

An agreement runs from one day to another (inclusive, open while not ended).
Under row-level security a Party reads the authorisations of the Parties it
recognises (policy ``recognised_read`` of migration 0011), so its decisions can
find their holders; it still writes only its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from riskhub.reference.parties import (
    DECLARATION_OWNERS,
    EU_MEMBER_STATES,
    SANDBOX_PARTY,
    party_name,
)
from riskhub.registries.models import AeoRecognition

EU = "EU"  # partner code meaning every EU Member State


class RecognitionError(ValueError):
    """A request about an agreement refused in plain words; ``status`` is the HTTP answer."""

    def __init__(self, message: str, *, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Agreement:
    """An agreement as the decisions use it: whose authorisations count, and when."""

    reference: str
    partner: str
    parties: frozenset[str]
    valid_from: date
    valid_to: date | None


def partner_parties(partner: str) -> frozenset[str]:
    """The Parties whose authorisations a recognition of ``partner`` covers."""
    return frozenset(EU_MEMBER_STATES) if partner == EU else frozenset({partner})


def partner_name(partner: str) -> str:
    return "the EU Member States" if partner == EU else party_name(partner)


def add_recognition(
    *, session: Session, party: str, partner: str, reference: str, valid_from: date,
    valid_to: date | None, actor: str, now: datetime,
) -> AeoRecognition:  # fmt: skip
    """Record that ``party`` recognises ``partner``'s AEOs; 422/409 with the reason if not."""
    partner = partner.strip().upper()
    if partner == party:
        raise RecognitionError(f"partner: {party} cannot recognise its own AEOs")
    if partner != EU and (partner not in DECLARATION_OWNERS or partner == SANDBOX_PARTY):
        raise RecognitionError(
            f"partner: '{partner}' is not a Party that grants AEO authorisations "
            "(give a CEFTA Party, an EU Member State, or EU for all of them)"
        )
    if valid_to is not None and valid_to < valid_from:
        raise RecognitionError(f"valid_to: {valid_to} is before valid_from {valid_from}")
    r = AeoRecognition
    for other in session.scalars(select(r).where(r.party == party, r.partner == partner)):
        if _overlap(other.valid_from, other.valid_to, valid_from, valid_to):
            raise RecognitionError(
                f"{party} already recognises {partner_name(partner)} under {other.reference} "
                f"from {other.valid_from}" + (f" to {other.valid_to}" if other.valid_to else ""),
                status=409,
            )
    row = AeoRecognition(
        party=party, partner=partner, reference=reference, valid_from=valid_from,
        valid_to=valid_to, created_by=actor, created_at=now,
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as error:
        raise RecognitionError(
            f"reference: {party} already has an agreement {reference}", status=409
        ) from error
    return row


def _overlap(a0: date, a1: date | None, b0: date, b1: date | None) -> bool:
    return (a1 is None or b0 <= a1) and (b1 is None or a0 <= b1)


def end_recognition(
    *, session: Session, party: str, recognition_id: int, last_day: date, actor: str,
    now: datetime,
) -> AeoRecognition | None:  # fmt: skip
    """End one of ``party``'s agreements on ``last_day`` (inclusive); None if not found."""
    row = session.get(AeoRecognition, recognition_id)
    if row is None or row.party != party:
        return None
    if row.ended_at is not None:
        raise RecognitionError(
            f"agreement {row.reference} was already ended on {row.valid_to}", status=409
        )
    if last_day < row.valid_from:
        raise RecognitionError(
            f"last_day: {last_day} is before the agreement starts ({row.valid_from})"
        )
    if row.valid_to is not None and last_day > row.valid_to:
        raise RecognitionError(
            f"last_day: the agreement already ends on {row.valid_to}; end it on that day or before"
        )
    row.valid_to, row.ended_by, row.ended_at = last_day, actor, now
    session.flush()
    return row


def list_recognitions(
    *, session: Session, party: str, on: date | None = None
) -> list[AeoRecognition]:
    """``party``'s agreements (those in force on ``on``, if given), by partner and start."""
    r = AeoRecognition
    query = select(r).where(r.party == party).order_by(r.partner, r.valid_from, r.id)
    if on is not None:
        query = query.where(r.valid_from <= on, (r.valid_to.is_(None)) | (r.valid_to >= on))
    return list(session.scalars(query))


def recognitions_in_force(
    *, connection_or_session: Connection | Session, party: str
) -> list[Agreement]:
    """Every agreement of ``party``, whatever its dates (decisions take each on its own day)."""
    r = AeoRecognition
    rows = connection_or_session.execute(
        select(r.reference, r.partner, r.valid_from, r.valid_to).where(r.party == party)
    )
    return [
        Agreement(ref, partner, partner_parties(partner), start, end)
        for ref, partner, start, end in rows
    ]
