"""Common risk profiles through the RMWG: draft, propose, vote, adopt or reject, publish, review.

The lifecycle (strategy S6, whose KPI is agreement by at least half of the
CEFTA Parties)::

    draft ─propose─► proposed ─adopt (approvals ≥ quorum)─► adopted ─publish─► published
                        └─reject (quorum out of reach)─► rejected
    published ─review─► keep (next review date) / revise (next version's draft) / withdraw

Each CEFTA Party votes once per case (approve, reject with a reason, abstain);
the quorum is fixed when the case is proposed. Publishing makes the profile an
RMWG profile (owner XS) on this hub and sends it to the partner hubs; each
Party then decides locally (``publication.decide_locally``). Every step leaves
an event, visible to the whole RMWG. Cases belong to the RMWG (party XS), so a
member of any Party writes them acting for XS, after the role check.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from riskhub.access.distribution import Distribution
from riskhub.db.tenancy import switched
from riskhub.governance.common_profiles.models import (
    CommonProfileCase,
    CommonProfileEvent,
    CommonProfileVote,
)
from riskhub.profiles.criteria.validators import Problem
from riskhub.profiles.document import ProfileDocument, read_profile
from riskhub.reference.parties import CEFTA_PARTIES, SECRETARIAT_PARTY
from riskhub.settings import get_settings

Status = Literal["draft", "proposed", "adopted", "rejected", "published", "superseded", "withdrawn"]
OPEN = ("draft", "proposed", "adopted")  # a code has at most one case on its way
REVIEW_DAYS = 365  # a published common profile is reviewed at least yearly


class LifecycleError(ValueError):
    """A step the case's state or the caller's Party does not allow; the text says why."""


class DocumentProblems(ValueError):
    """The drafted profile does not read; each problem names its line and field."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def require_member(party: str) -> None:
    """Refuse (LifecycleError) a working group step by anyone but a CEFTA Party's member."""
    if party not in CEFTA_PARTIES:
        raise LifecycleError(f"the RMWG's steps are taken by CEFTA Parties' members, not {party}")


def quorum() -> int:
    """Approvals a proposal needs: the setting, or more than half of the CEFTA Parties."""
    configured = get_settings().common_profile_quorum
    return configured if configured is not None else len(CEFTA_PARTIES) // 2 + 1


def read_document(text: str) -> ProfileDocument:
    """The drafted profile, checked as any profile is, plus what a common one must be."""
    read = read_profile(text, lists={})
    if not read.ok or read.document is None:
        raise DocumentProblems(read.problems)
    document = read.document
    if document.distribution.level == Distribution.OWN:
        raise LifecycleError(
            "a common profile is shared with the Parties it judges: distribution.level "
            "cannot be 'own' (use cefta, cefta_eu or group)"
        )
    outside = sorted(set(document.scope.parties) - set(CEFTA_PARTIES))
    if outside:
        raise LifecycleError(
            f"scope.parties names {', '.join(outside)}: common profiles judge CEFTA Parties' "
            "declarations"
        )
    return document


def draft(
    *,
    session: Session,
    party: str,
    text: str,
    user_id: int | None,
    now: datetime,
    source_rif_id: int | None = None,
) -> CommonProfileCase:
    """Put a drafted common profile on the table: a new code, or the next version of one."""
    if party not in CEFTA_PARTIES:
        raise LifecycleError("common profiles are drafted by CEFTA Parties' members")
    document = read_document(text)
    code = document.code
    cases = session.scalars(select(CommonProfileCase).where(CommonProfileCase.code == code)).all()
    under_way = [c for c in cases if c.status in OPEN]
    if under_way:
        c = under_way[0]
        if c.status == "draft" and c.drafted_by_party != party:
            # Another Party's draft is its own business until proposed: say only that it exists.
            raise LifecycleError(f"a version of {code} is already being drafted; use another code")
        raise LifecycleError(
            f"{code} is already under way (case {c.id}, version {c.version}, {c.status}); "
            "finish or reject it first"
        )
    with switched(session, SECRETARIAT_PARTY):
        case = CommonProfileCase(
            party=SECRETARIAT_PARTY,
            code=code,
            version=max((c.version for c in cases), default=0) + 1,
            status="draft",
            title=document.title,
            document=text,
            drafted_by_party=party,
            drafted_by=user_id,
            source_rif_id=source_rif_id,
            created_at=now,
            updated_at=now,
            closed_reason="",
        )
        session.add(case)
        session.flush()
    where = f" from RIF {source_rif_id}" if source_rif_id else ""
    record(
        session=session,
        case=case,
        party=party,
        event="drafted",
        detail=f"version {case.version} drafted by {party}{where}",
        actor=user_id,
        now=now,
    )
    return case


def redraft(
    *, session: Session, party: str, case_id: int, text: str, user_id: int | None, now: datetime
) -> CommonProfileCase | None:
    """Replace the document of ``party``'s own draft (the code stays), before proposing it."""
    case = get_case(session=session, party=party, case_id=case_id, for_update=True)
    if case is None:
        return None
    expect(case, "draft", "edited")
    document = read_document(text)
    if document.code != case.code:
        raise LifecycleError(f"the draft's code is {case.code}; a new code is a new draft")
    _change(session, case, document=text, title=document.title, updated_at=now)
    record(
        session=session,
        case=case,
        party=party,
        event="edited",
        detail="draft edited",
        actor=user_id,
        now=now,
    )
    return case


def get_case(
    *, session: Session, party: str, case_id: int, for_update: bool = False
) -> CommonProfileCase | None:
    """A case ``party`` may see: any but another Party's draft (locked, to change it)."""
    # Locked, two members' steps on one case (two publications, an adoption and a
    # rejection) take turns, and the second sees what the first did.
    if for_update:
        # Row-level security lets only the row's owner lock it: the RMWG (XS).
        with switched(session, SECRETARIAT_PARTY):
            case = session.get(CommonProfileCase, case_id, with_for_update=True)
    else:
        case = session.get(CommonProfileCase, case_id)
    if case is None or (case.status == "draft" and case.drafted_by_party != party):
        return None
    return case


def list_cases(
    *, session: Session, party: str, status: str | None = None
) -> list[CommonProfileCase]:
    """The cases ``party`` may see, by code and version."""
    query = select(CommonProfileCase).order_by(CommonProfileCase.code, CommonProfileCase.version)
    if status:
        query = query.where(CommonProfileCase.status == status)
    return [c for c in session.scalars(query) if c.status != "draft" or c.drafted_by_party == party]


def propose(
    *, session: Session, party: str, case_id: int, user_id: int | None, now: datetime
) -> CommonProfileCase | None:
    """Put ``party``'s draft to the RMWG's vote; the quorum is fixed now."""
    case = get_case(session=session, party=party, case_id=case_id, for_update=True)
    if case is None:
        return None
    expect(case, "draft", "proposed")
    _change(session, case, status="proposed", proposed_at=now, quorum=quorum(), updated_at=now)
    record(
        session=session,
        case=case,
        party=party,
        event="proposed",
        detail=f"proposed to the RMWG; {case.quorum} approvals adopt it",
        actor=user_id,
        now=now,
    )
    return case


def vote(
    *,
    session: Session,
    party: str,
    case_id: int,
    choice: str,
    comment: str,
    user_id: int | None,
    now: datetime,
) -> CommonProfileVote | None:
    """Cast ``party``'s one vote on a proposed case."""
    case = get_case(session=session, party=party, case_id=case_id, for_update=True)
    if case is None:
        return None
    if party not in CEFTA_PARTIES:
        raise LifecycleError(f"only the CEFTA Parties vote on common profiles, not {party}")
    expect(case, "proposed", "voted on")
    earlier = _votes(session, case.id).get(party)
    if earlier is not None:
        raise LifecycleError(
            f"{party} already voted {earlier.vote} on {earlier.voted_at:%Y-%m-%d %H:%M}; "
            "a Party votes once on each version"
        )
    row = CommonProfileVote(
        case_id=case.id, party=party, vote=choice, comment=comment, voted_by=user_id, voted_at=now
    )
    session.add(row)
    session.flush()
    record(
        session=session,
        case=case,
        party=party,
        event="voted",
        detail=f"{party} voted {choice}" + (f": {comment}" if comment else ""),
        actor=user_id,
        now=now,
    )
    return row


def tally(*, session: Session, case: CommonProfileCase) -> dict[str, object]:
    """Approvals, rejections and abstentions so far, who has not voted, and the S6 share."""
    votes = _votes(session, case.id)
    counts = Counter(v.vote for v in votes.values())
    return {
        "approve": counts["approve"],
        "reject": counts["reject"],
        "abstain": counts["abstain"],
        "not_voted": sorted(set(CEFTA_PARTIES) - set(votes)),
        "quorum": case.quorum,
        "approval_share": round(counts["approve"] / len(CEFTA_PARTIES), 4),
    }


def adopt(
    *, session: Session, party: str, case_id: int, user_id: int | None, now: datetime
) -> CommonProfileCase | None:
    """Declare a proposal adopted: refused until the approvals reach its quorum."""
    require_member(party)
    case = get_case(session=session, party=party, case_id=case_id, for_update=True)
    if case is None:
        return None
    expect(case, "proposed", "adopted")
    counts = tally(session=session, case=case)
    needed = case.quorum or quorum()
    if int(counts["approve"]) < needed:  # type: ignore[call-overload]
        raise LifecycleError(
            f"{counts['approve']} of the {needed} approvals needed so far; "
            f"not yet voted: {', '.join(counts['not_voted']) or 'none'}"  # type: ignore[arg-type]
        )
    _change(session, case, status="adopted", decided_at=now, updated_at=now)
    record(
        session=session,
        case=case,
        party=party,
        event="adopted",
        detail=f"adopted with {counts['approve']} approvals (quorum {needed})",
        actor=user_id,
        now=now,
    )
    return case


def reject(
    *, session: Session, party: str, case_id: int, user_id: int | None, now: datetime
) -> CommonProfileCase | None:
    """Close a proposal as rejected: only once its quorum can no longer be reached."""
    require_member(party)
    case = get_case(session=session, party=party, case_id=case_id, for_update=True)
    if case is None:
        return None
    expect(case, "proposed", "rejected")
    counts = tally(session=session, case=case)
    reachable = int(counts["approve"]) + len(counts["not_voted"])  # type: ignore[call-overload, arg-type]
    needed = case.quorum or quorum()
    if reachable >= needed:
        raise LifecycleError(
            f"the quorum of {needed} can still be reached ({counts['approve']} approvals, "
            f"{len(counts['not_voted'])} Parties yet to vote)"  # type: ignore[arg-type]
        )
    _change(
        session,
        case,
        status="rejected",
        decided_at=now,
        updated_at=now,
        closed_reason=f"{counts['approve']} approvals, {needed} needed",
    )
    record(
        session=session,
        case=case,
        party=party,
        event="rejected",
        detail=case.closed_reason,
        actor=user_id,
        now=now,
    )
    return case


def review_due(case: CommonProfileCase, today: date) -> bool:
    """Whether a published case's periodic review date has passed."""
    return case.status == "published" and case.review_due is not None and case.review_due < today


def keep(
    *,
    session: Session,
    party: str,
    case: CommonProfileCase,
    comment: str,
    next_review: date | None,
    user_id: int | None,
    now: datetime,
) -> CommonProfileCase:
    """Review outcome 'keep': the profile stays as published until the next review."""
    require_member(party)
    expect(case, "published", "reviewed")
    when = next_review or now.date() + timedelta(days=REVIEW_DAYS)
    if when <= now.date():
        raise LifecycleError(f"the next review ({when}) must be after today")
    _change(session, case, review_due=when, updated_at=now)
    record(
        session=session,
        case=case,
        party=party,
        event="reviewed",
        detail=f"kept; next review {when}" + (f": {comment}" if comment else ""),
        actor=user_id,
        now=now,
    )
    return case


def record(
    *,
    session: Session,
    case: CommonProfileCase,
    party: str,
    event: str,
    detail: str,
    actor: int | None,
    now: datetime,
) -> None:
    """Add one step to the case's trail, in ``party``'s name."""
    session.add(
        CommonProfileEvent(
            case_id=case.id, party=party, event=event, detail=detail[:4000], actor=actor, at=now
        )
    )
    session.flush()


def events(*, session: Session, case: CommonProfileCase) -> list[CommonProfileEvent]:
    """The case's trail, oldest first."""
    e = CommonProfileEvent
    return list(session.scalars(select(e).where(e.case_id == case.id).order_by(e.id)))


def votes(*, session: Session, case: CommonProfileCase) -> list[CommonProfileVote]:
    """The votes cast on the case, by Party."""
    return sorted(_votes(session, case.id).values(), key=lambda v: v.party)


def latest_published(*, session: Session, code: str) -> CommonProfileCase | None:
    """The version of ``code`` in force, if one is."""
    c = CommonProfileCase
    return session.scalars(
        select(c).where(c.code == code, c.status == "published").order_by(c.version.desc())
    ).first()


def count_published(*, session: Session) -> int:
    c = CommonProfileCase
    return int(session.scalar(select(func.count(c.id)).where(c.status == "published")) or 0)


def _votes(session: Session, case_id: int) -> dict[str, CommonProfileVote]:
    rows = session.scalars(select(CommonProfileVote).where(CommonProfileVote.case_id == case_id))
    return {v.party: v for v in rows}


def expect(case: CommonProfileCase, status: str, doing: str) -> None:
    """Refuse (LifecycleError) unless the case is in ``status``; ``doing`` names the step."""
    if case.status != status:
        raise LifecycleError(
            f"case {case.id} ({case.code} version {case.version}) is {case.status}; "
            f"only a {status} case can be {doing}"
        )


def _change(session: Session, case: CommonProfileCase, **values: object) -> None:
    # Cases are the RMWG's rows: written as XS whoever's member acts.
    with switched(session, SECRETARIAT_PARTY):
        for name, value in values.items():
            setattr(case, name, value)
        session.flush()
