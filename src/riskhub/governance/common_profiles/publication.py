"""An adopted common profile in use: published, switched on by each Party, fed back, reviewed.

Publishing makes the adopted document the RMWG's active profile on this hub
(owner XS) and sends it over the exchange to the hubs of the other Parties in
its scope. Nothing judges a Party's declarations until that Party activates it
here (``decide_locally``), or declines and says why. A withdrawal suspends the
profile everywhere it was sent. How the profile does at each Party that uses it
comes from that Party's inspection results (the profile effectiveness review).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

import yaml
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from riskhub.access.distribution import Distribution, Tlp
from riskhub.db.tenancy import switched
from riskhub.exchange.keys import identity, partners
from riskhub.exchange.messages import CommonProfile, MessageType
from riskhub.exchange.outbox import Outgoing, enqueue
from riskhub.governance.common_profiles import service
from riskhub.governance.common_profiles.models import CommonProfileCase
from riskhub.governance.common_profiles.service import LifecycleError, record
from riskhub.kpis import service as kpis
from riskhub.profiles import service as profiles
from riskhub.profiles.models import ProfileActivation
from riskhub.reference.parties import CEFTA_PARTIES, SECRETARIAT_PARTY


def scope_of(case: CommonProfileCase) -> list[str]:
    """The CEFTA Parties the profile judges once each activates it."""
    document = service.read_document(case.document)
    return sorted(document.scope.parties or CEFTA_PARTIES)


def publish(
    *, session: Session, party: str, case_id: int, user_id: int | None, now: datetime
) -> CommonProfileCase | None:
    """Publish an adopted case: the RMWG's profile here, and sent to the other hubs in scope."""
    service.require_member(party)
    case = service.get_case(session=session, party=party, case_id=case_id, for_update=True)
    if case is None:
        return None
    service.expect(case, "adopted", "published")
    document = service.read_document(case.document)
    if document.valid_to is not None and document.valid_to < now.date():
        raise LifecycleError(f"{case.code} expired on {document.valid_to}; revise it first")
    with switched(session, SECRETARIAT_PARTY):
        (outcome,) = profiles.import_profiles(
            session=session, party=SECRETARIAT_PARTY, text=case.document, user_id=user_id
        )
        if outcome.id is None:
            raise LifecycleError(f"{case.code} did not store: {'; '.join(outcome.problems)}")
        profiles.set_status(
            session=session,
            party=SECRETARIAT_PARTY,
            profile_id=outcome.id,
            status="active",
            user_id=user_id,
        )
        earlier = service.latest_published(session=session, code=case.code)
        if earlier is not None:
            earlier.status, earlier.updated_at = "superseded", now
        case.status, case.published_at, case.profile_id = "published", now, outcome.id
        case.review_due = now.date() + timedelta(days=service.REVIEW_DAYS)
        case.updated_at = now
        session.flush()
    sent = _send(session, case, "update" if earlier else "publish", None, now)
    detail = f"published as version {case.version}; review due {case.review_due}"
    if earlier is not None:
        detail += f"; replaces version {earlier.version}"
    record(
        session=session,
        case=case,
        party=party,
        event="published",
        detail=detail + _sent_words(sent),
        actor=user_id,
        now=now,
    )
    return case


def decide_locally(
    *,
    session: Session,
    party: str,
    case_id: int,
    active: bool,
    reason: str,
    user_id: int | None,
    now: datetime,
) -> ProfileActivation | None:
    """``party`` switches a published common profile on at its borders, or off and why."""
    case = service.get_case(session=session, party=party, case_id=case_id, for_update=True)
    if case is None:
        return None
    if case.status != "published":
        raise LifecycleError(
            f"case {case.id} ({case.code} version {case.version}) is {case.status}; only the "
            "published version can be activated"
        )
    if party not in scope_of(case):
        raise LifecycleError(f"{case.code} does not judge {party}'s declarations (its scope)")
    document = service.read_document(case.document)
    if active and document.valid_to is not None and document.valid_to < now.date():
        raise LifecycleError(f"{case.code} expired on {document.valid_to}; it cannot be activated")
    row = profiles.set_activation(
        session=session,
        party=party,
        code=case.code,
        active=active,
        version=case.version,
        reason=reason,
        user_id=user_id,
    )
    words = "activated" if active else "declined"
    record(
        session=session,
        case=case,
        party=party,
        event=words,
        detail=f"{party} {words} version {case.version}" + (f": {reason}" if reason else ""),
        actor=user_id,
        now=now,
    )
    return row


def revise(
    *,
    session: Session,
    party: str,
    case: CommonProfileCase,
    text: str,
    comment: str,
    user_id: int | None,
    now: datetime,
) -> CommonProfileCase:
    """Review outcome 'revise': a draft of the next version (the current stays in force)."""
    service.require_member(party)
    service.expect(case, "published", "revised")
    if service.read_document(text).code != case.code:
        raise LifecycleError(f"a revision keeps the code {case.code}")
    new = service.draft(session=session, party=party, text=text, user_id=user_id, now=now)
    record(
        session=session,
        case=case,
        party=party,
        event="reviewed",
        detail=f"revision being drafted by {party} as version {new.version}"
        + (f": {comment}" if comment else ""),
        actor=user_id,
        now=now,
    )
    return new


def withdraw(
    *,
    session: Session,
    party: str,
    case: CommonProfileCase,
    comment: str,
    user_id: int | None,
    now: datetime,
) -> CommonProfileCase:
    """Review outcome 'withdraw': the profile stops judging anyone, here and on other hubs."""
    service.require_member(party)
    service.expect(case, "published", "withdrawn")
    with switched(session, SECRETARIAT_PARTY):
        if case.profile_id is not None:
            profiles.set_status(
                session=session,
                party=SECRETARIAT_PARTY,
                profile_id=case.profile_id,
                status="suspended",
                user_id=user_id,
            )
        case.status, case.closed_reason, case.updated_at = "withdrawn", comment, now
        session.flush()
    switch_off(session=session, code=case.code, reason=f"withdrawn by the RMWG: {comment}")
    sent = _send(session, case, "withdraw", comment, now)
    record(
        session=session,
        case=case,
        party=party,
        event="withdrawn",
        detail=comment + _sent_words(sent),
        actor=user_id,
        now=now,
    )
    return case


def switch_off(*, session: Session, code: str, reason: str) -> None:
    """End every Party's use of ``code``: a later version needs each Party's decision anew."""
    for decision in local_decisions(session=session, code=code):
        if decision.active:
            profiles.set_activation(session=session, party=decision.party, code=code,
                                    active=False, version=decision.version, reason=reason,
                                    user_id=None)  # fmt: skip


def local_decisions(*, session: Session, code: str) -> list[ProfileActivation]:
    """Each Party's decision on the profile ``code``, by Party."""
    pa = ProfileActivation
    return list(session.scalars(select(pa).where(pa.code == code).order_by(pa.party)))


def activation_share(*, session: Session, case: CommonProfileCase) -> float:
    """Share of the Parties in scope that use the profile now."""
    scope = scope_of(case)
    on = {a.party for a in local_decisions(session=session, code=case.code) if a.active}
    return round(len(on & set(scope)) / len(scope), 4) if scope else 0.0


def feedback(
    *, engine: Engine, session: Session, case: CommonProfileCase, since: datetime,
    until: datetime, parties: Collection[str] | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """How the profile did at each Party using it (of ``parties``): matches, controls, hits."""
    users = [
        a.party
        for a in local_decisions(session=session, code=case.code)
        if a.active and (parties is None or a.party in parties)
    ]
    name = f"{SECRETARIAT_PARTY}/{case.code}"
    out = []
    for member in users:
        row = kpis.profile_at(engine=engine, party=member, name=name, since=since, until=until)
        out.append(
            {
                "party": member,
                "matches": row["matches"],
                "selected": row["selected"],
                "inspected": row["inspected"],
                "hits": row["hits"],
                "hit_rate": round(row["hits"] / row["inspected"], 4) if row["inspected"] else None,
                "revenue_eur": row["revenue_eur"],
            }
        )
    return out


def adoption(*, session: Session) -> dict[str, Any]:
    """The S6 KPI: which CEFTA Parties approved every profile in force, and their share."""
    published = service.list_cases(session=session, party=SECRETARIAT_PARTY, status="published")
    approving = set(CEFTA_PARTIES)
    for case in published:
        approving &= {
            v.party for v in service.votes(session=session, case=case) if v.vote == "approve"
        }
    if not published:
        approving = set()
    return {
        "cefta_parties": len(CEFTA_PARTIES),
        "published_profiles": len(published),
        "parties_approving_all": sorted(approving),
        "share_approving_all": round(len(approving) / len(CEFTA_PARTIES), 4),
    }


def _send(
    session: Session, case: CommonProfileCase, action: str, reason: str | None, now: datetime
) -> int | None:
    """Queue the profile for the partner hubs of the Parties in scope; None if this hub can't."""
    me = identity()
    if SECRETARIAT_PARTY not in me.parties:
        return None  # this hub does not speak for the RMWG in the exchange
    # Every Party any published version judged: one dropped from the scope by a new
    # version still has to hear of it (and of the withdrawal).
    c = CommonProfileCase
    versions = session.scalars(select(c).where(c.code == case.code, c.published_at.is_not(None)))
    scope = {p for v in (case, *versions) for p in scope_of(v)}
    receivers = sorted(scope - me.parties)
    nodes = partners(session=session)
    if not receivers or not nodes:
        return 0
    document = service.read_document(case.document)
    payload = CommonProfile(
        code=case.code,
        action=action,
        version=case.version,
        document=yaml.safe_load(case.document) if action != "withdraw" else None,
        reason=reason,
    )
    sharing = document.distribution
    message = Outgoing(
        MessageType.COMMON_PROFILE,
        payload,
        SECRETARIAT_PARTY,
        receivers,
        Distribution(sharing.level),
        Tlp(sharing.tlp),
        frozenset(),
        version=f"{case.version}:{action}",
    )
    return enqueue(session=session, identity=me, message=message, now=now, nodes=nodes)


def _sent_words(sent: int | None) -> str:
    if sent is None:
        return "; not sent over the exchange: this hub does not speak for the RMWG (XS)"
    return f"; sent to {sent} partner hub(s)" if sent else ""
