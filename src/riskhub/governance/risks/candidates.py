"""Adaptation (M8, L2): candidate profiles from a risk's indicators; what is due for review.

A candidate is an ordinary draft profile of the generating Party, imported by
the profiles' own import (same checks, same errors), linked back to its risk,
and backtested like any draft before someone activates it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from riskhub.db.base import utcnow
from riskhub.governance.risks import service
from riskhub.governance.risks.indicators import criteria_of
from riskhub.governance.risks.models import Risk, RiskCandidate
from riskhub.governance.risks.schemas import CandidateIn
from riskhub.profiles import service as profiles
from riskhub.profiles.models import RiskProfile
from riskhub.targeting.models import RiskModelVersion

REVIEW_DAYS = 180  # a profile unchanged, or a model approved, this long ago is reviewed
EXPIRY_NOTICE = timedelta(days=30)
SERVING = ("champion", "challenger")
# The profile threat a register category maps to; the emerging threats have no threat
# of their own in the profile language yet.
THREATS = {
    "revenue": "undervaluation", "undervaluation": "undervaluation",
    "misclassification": "misclassification", "origin": "origin",
    "prohibitions_restrictions": "lpco", "security": "security", "safety_health": "other",
    "environment": "other", "ipr": "ipr", "drugs": "security", "cash": "other",
    "health_crisis": "other", "cybersecurity": "other", "illicit_trade": "excise",
}  # fmt: skip


class CandidateRefused(ValueError):
    """The candidate cannot be generated (409); the message says why."""


class CandidateInvalid(ValueError):
    """The profile import refused the candidate; ``problems`` say where and why."""

    def __init__(self, problems: list[str], document: str) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.document = document


@dataclass
class Candidate:
    risk: Risk
    profile: RiskProfile
    document: str


def document_for(risk: Risk, data: CandidateIn) -> str:
    """The draft profile's YAML: the risk's indicators as criteria, its threat and title."""
    if risk.indicators is None:
        raise CandidateRefused(f"{service.reference(risk)} has no indicators to generate from")
    text = (
        f"Candidate generated from risk {service.reference(risk)} ({risk.category}). "
        f"{risk.description}"
    )
    document = {
        "code": data.code,
        "title": f"{risk.title}"[:200],
        "description": text[:4000],
        "threat": THREATS[risk.category],
        "direction": data.direction,
        "criteria": criteria_of(risk.indicators),
        "action": {"channel": data.channel},
        "weight": data.weight,
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def generate(
    *, session: Session, author: service.Author, risk_id: int, data: CandidateIn
) -> Candidate | None:
    """A draft profile in the author's Party from a risk's indicators; None if not visible."""
    risk = service.get_risk(session=session, party=author.party, risk_id=risk_id)
    if risk is None:
        return None
    if risk.status != "open":
        raise CandidateRefused(f"{service.reference(risk)} is closed: reopen it first")
    taken = session.scalars(
        select(RiskProfile.id).where(
            RiskProfile.party == author.party, RiskProfile.code == data.code
        )
    ).first()
    if taken is not None:
        raise CandidateRefused(f"{author.party} already has a profile {data.code}: choose a code")
    text = document_for(risk, data)
    [outcome] = profiles.import_profiles(
        session=session, party=author.party, text=text, user_id=author.user_id, activate=False
    )
    if outcome.outcome != "created" or outcome.id is None:
        raise CandidateInvalid(outcome.problems, text)
    profile = session.get(RiskProfile, outcome.id)
    assert profile is not None
    session.add(
        RiskCandidate(
            party=author.party,
            risk_id=risk.id,
            profile_id=profile.id,
            profile_code=profile.code,
            created_by=author.user_id,
            created_at=utcnow(),
        )
    )
    session.flush()
    if risk.party == author.party:
        # A risk of one's own register lists the profiles that treat it.
        service.link_profile(session=session, author=author, risk=risk,
                             name=f"{author.party}/{profile.code}")  # fmt: skip
    return Candidate(risk, profile, text)


def due_for_review(
    *, session: Session, party: str, days: int = REVIEW_DAYS, today: date | None = None
) -> dict[str, Any]:
    """``party``'s active profiles and serving models that are due for review, each with why."""
    today = today or utcnow().date()
    stale = datetime.combine(today - timedelta(days=days), datetime.min.time())
    due_risks = [
        r for r in service.list_risks(session=session, party=party, status="open", today=today)
        if r.review_on <= today
    ]  # fmt: skip
    why_linked: dict[str, list[str]] = {}
    for risk in due_risks:
        note = f"linked to risk {service.reference(risk)}, due for review since {risk.review_on}"
        names = set(json.loads(risk.profiles))
        names |= {
            f"{party}/{c.profile_code}"
            for c in service.candidates_of(session=session, party=party, risk=risk)
        }
        for name in sorted(names):
            why_linked.setdefault(name, []).append(note)
    out_profiles = []
    for row in session.scalars(
        select(RiskProfile)
        .where(RiskProfile.party == party, RiskProfile.status == "active")
        .order_by(RiskProfile.code)
    ):
        reasons = []
        if row.updated_at < stale:
            age = (today - row.updated_at.date()).days
            reasons.append(f"unchanged for {age} days (review every {days})")
        if row.valid_to is not None and row.valid_to < today:
            reasons.append(f"expired on {row.valid_to}")
        elif row.valid_to is not None and row.valid_to - today <= EXPIRY_NOTICE:
            reasons.append(f"validity ends on {row.valid_to}")
        reasons.extend(why_linked.get(f"{party}/{row.code}", []))
        if reasons:
            out_profiles.append(
                {"id": row.id, "code": row.code, "title": row.title, "status": row.status,
                 "updated_at": row.updated_at, "valid_to": row.valid_to, "reasons": reasons}
            )  # fmt: skip
    out_models = []
    models = session.execute(
        # Columns only: the rows carry their model artifacts.
        select(RiskModelVersion.version, RiskModelVersion.status, RiskModelVersion.approved_by,
               RiskModelVersion.approved_at)
        .where(RiskModelVersion.party == party, RiskModelVersion.status.in_(SERVING))
        .order_by(RiskModelVersion.version)
    )  # fmt: skip
    for version, status, approved_by, approved_at in models:
        if approved_at is not None and approved_at < stale:
            age = (today - approved_at.date()).days
            out_models.append(
                {"version": version, "status": status, "approved_by": approved_by,
                 "approved_at": approved_at,
                 "reasons": [f"approved {age} days ago (review every {days})"]}
            )  # fmt: skip
    return {"party": party, "review_days": days, "today": today,
            "profiles": out_profiles, "models": out_models}  # fmt: skip
