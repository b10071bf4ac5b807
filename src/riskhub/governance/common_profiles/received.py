"""Common profiles that arrived over the exchange, at a hub that does not host the RMWG.

The RMWG's hub publishes; a Party on another hub finds the profile among its
received documents and decides locally, as a Party on the RMWG's hub would. On
activation the profile is kept here as the RMWG's (owner XS) at the version
received; a later update replaces it (the Party's decision stands) and a
withdrawal suspends it at once, both as they arrive (``apply``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from riskhub.db.tenancy import switched
from riskhub.exchange.messages import CommonProfile, MessageType
from riskhub.exchange.models import ReceivedDocument
from riskhub.governance.common_profiles.publication import switch_off
from riskhub.governance.common_profiles.service import LifecycleError, read_document
from riskhub.profiles import service as profiles
from riskhub.profiles.models import ProfileActivation, RiskProfile
from riskhub.reference.parties import SECRETARIAT_PARTY


def received(*, session: Session, party: str) -> list[dict[str, Any]]:
    """The common profiles the RMWG sent to ``party``, with the Party's decision on each."""
    decided = {
        a.code: a
        for a in session.scalars(select(ProfileActivation).where(ProfileActivation.party == party))
    }
    out = []
    for row in _documents(session, party):
        payload = CommonProfile.model_validate_json(row.payload)
        decision = decided.get(payload.code)
        out.append(
            {
                "code": payload.code,
                "version": payload.version,
                "action": payload.action,
                "title": (payload.document or {}).get("title", ""),
                "received_at": row.received_at,
                "withdrawn": row.withdrawn_at is not None,
                "active": bool(decision and decision.active),
                "decided_version": decision.version if decision else None,
            }
        )
    return out


def decide_on_received(
    *, session: Session, party: str, code: str, active: bool, reason: str,
    user_id: int | None, now: datetime,
) -> ProfileActivation | None:  # fmt: skip
    """``party`` switches a received common profile on (kept here as the RMWG's), or off."""
    row = next((d for d in _documents(session, party) if d.key == code), None)
    if row is None:
        return None
    payload = CommonProfile.model_validate_json(row.payload)
    if row.withdrawn_at is not None or payload.document is None:
        raise LifecycleError(f"the RMWG withdrew {code}; it cannot be activated")
    text = yaml.safe_dump(payload.document, sort_keys=False, allow_unicode=True)
    document = read_document(text)
    if active and document.valid_to is not None and document.valid_to < now.date():
        raise LifecycleError(f"{code} expired on {document.valid_to}; it cannot be activated")
    if party not in (document.scope.parties or [party]):
        raise LifecycleError(f"{code} does not judge {party}'s declarations (its scope)")
    if active:
        _keep(session, text, user_id)
    version = payload.version
    return profiles.set_activation(session=session, party=party, code=code, active=active,
                                   version=version, reason=reason, user_id=user_id)  # fmt: skip


def apply(*, session: Session, payload: CommonProfile) -> None:
    """Bring the RMWG's profile kept here in line with an update or withdrawal that arrived."""
    with switched(session, SECRETARIAT_PARTY):
        kept = session.scalars(
            select(RiskProfile).where(
                RiskProfile.party == SECRETARIAT_PARTY, RiskProfile.code == payload.code
            )
        ).first()
        if kept is None:
            return  # nobody here activated it: the document alone is kept
        if payload.action == "withdraw":
            profiles.set_status(session=session, party=SECRETARIAT_PARTY, profile_id=kept.id,
                                status="suspended")  # fmt: skip
            reason = f"withdrawn by the RMWG: {payload.reason or 'no reason given'}"
            switch_off(session=session, code=payload.code, reason=reason)
        elif payload.document is not None:
            _keep(session, yaml.safe_dump(payload.document, sort_keys=False, allow_unicode=True),
                  None)  # fmt: skip


def _keep(session: Session, text: str, user_id: int | None) -> None:
    with switched(session, SECRETARIAT_PARTY):
        (outcome,) = profiles.import_profiles(
            session=session, party=SECRETARIAT_PARTY, text=text, user_id=user_id
        )
        if outcome.id is None:
            raise LifecycleError(f"the profile received does not store: {outcome.problems}")
        profiles.set_status(session=session, party=SECRETARIAT_PARTY, profile_id=outcome.id,
                            status="active", user_id=user_id)  # fmt: skip


def _documents(session: Session, party: str) -> list[ReceivedDocument]:
    d = ReceivedDocument
    return list(
        session.scalars(
            select(d)
            .where(
                d.party == party,
                d.type == MessageType.COMMON_PROFILE.value,
                d.sender_party == SECRETARIAT_PARTY,
            )
            .order_by(d.key)
        )
    )
