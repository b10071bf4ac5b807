"""From fired profiles to a channel: selection shares, AEO facilitation, random control.

The order follows the strategy: criteria hits first, then the model score
when a model is active, then AEO facilitation, then the random control
sample, and last the office's inspection budget (``budget.py``). Every step
that picks by chance draws from a keyed hash of the Party and reference, so a
decision is reproducible, an amendment cannot re-draw its luck, and a trader
cannot compute in advance which references would escape control.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from riskhub.profiles.compiled import CompiledProfile
from riskhub.profiles.document import SEVERITY, Channel

ENGINE_VERSION = "riskhub-selectivity/1"
AEO_SHARE_FACTOR = 0.5  # an AEO's matches are selected half as often


@dataclass(frozen=True)
class OfficeRates:
    """An office's selectivity settings (defaults for offices that have none)."""

    random_rate: float = 0.02
    random_rate_aeo: float = 0.005
    target_red: float = 0.05
    target_yellow: float = 0.10
    red_capacity_per_day: int | None = None
    # How the risk model ranks (see targeting/model.py and targeting/scorer.py).
    revenue_weight: float = 0.03
    exploration: float = 0.5


@dataclass
class Candidate:
    """One declaration version waiting for its channel."""

    party: str
    reference: str
    declaration_id: int
    version: int
    office: str
    lodged_at: datetime
    trader: str | None
    fired: Sequence[int]
    model_score: float | None = None
    model_reasons: list[str] | None = None
    exporter: str | None = None  # on an import, possibly a recognised foreign AEO
    direction: str | None = None


@dataclass
class Decision:
    party: str
    reference: str
    declaration_id: int
    version: int
    office: str
    lodged_at: datetime
    channel: Channel
    score: float
    random_control: bool
    aeo: bool
    reasons: list[dict[str, object]]
    agencies: list[str]
    checklist: list[str]
    engine_version: str
    profiles_version: str
    model_version: str | None
    budget: str | None = None
    # Set by the budget, never by a profile: random controls and profile reds stay.
    mandatory: bool = field(default=False, repr=False)
    # Priority passage (L7): AEOs go first in the officers' queue, whatever the channel.
    priority: bool = False

    def move_to(self, channel: Channel, why: str) -> None:
        """The office budget changes the channel and says why; customs takes part in any control."""
        self.channel, self.budget = channel, why
        if channel is not Channel.GREEN and "customs" not in self.agencies:
            self.agencies.insert(0, "customs")


def draw(secret: bytes, purpose: str, party: str, reference: str) -> float:
    """A uniform number in [0, 1) fixed by the hub secret, the purpose and the declaration."""
    message = f"{purpose}\x1f{party}\x1f{reference}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def profiles_version(profiles: Sequence[CompiledProfile]) -> str:
    """A short digest of which profile versions took part."""
    text = ";".join(sorted(f"{p.owner}:{p.code}:{p.version}" for p in profiles))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def decide(
    candidate: Candidate,
    *,
    profiles: Sequence[CompiledProfile],
    rates: OfficeRates,
    aeo: bool,
    secret: bytes,
    model_version: str | None = None,
    set_version: str | None = None,
    aeo_sentence: str | None = None,
) -> Decision:
    """The channel of one declaration before the office budget is applied."""
    reasons: list[dict[str, object]] = []
    channel = Channel.GREEN
    agencies: list[str] = []
    checklist: list[str] = []
    rule_score = 0
    for index in candidate.fired:
        profile = profiles[index]
        share = profile.select_share * (AEO_SHARE_FACTOR if aeo else 1.0)
        chosen = draw(secret, f"profile:{profile.owner}:{profile.code}", candidate.party,
                      candidate.reference) < share  # fmt: skip
        rule_score += profile.weight
        reasons.append(
            {
                "profile": profile.code,
                "owner": profile.owner,
                "version": profile.version,
                "title": profile.title,
                "sentence": f"{profile.title}: {profile.sentence}",
                "channel": profile.channel,
                "weight": profile.weight,
                "selected": chosen,
            }
        )
        if not chosen:
            continue
        action = Channel(profile.channel)
        if SEVERITY[action] > SEVERITY[channel]:
            channel = action
        agencies += [a for a in profile.agencies if a not in agencies]
        checklist += [c for c in profile.checklist if c not in checklist]
    score = float(min(rule_score, 100))
    if candidate.model_score is not None:
        # Half rules, half model: a strong model alone can lift a declaration
        # that no profile names, and a profile hit still counts with no model.
        score = round(0.5 * score + 50 * candidate.model_score, 2)
        why = "; ".join(candidate.model_reasons or []) or "no single factor stands out"
        reasons.append(
            {"model": model_version,
             "sentence": f"Risk model (score {candidate.model_score:.2f}): {why}"}
        )  # fmt: skip
    rate = rates.random_rate_aeo if aeo else rates.random_rate
    random_control = draw(secret, "random", candidate.party, candidate.reference) < rate
    if random_control:
        channel = Channel.RED
        # The rate is kept: it is the chance of this draw, which weights it in training.
        reasons.append(
            {"random": True, "rate": rate, "sentence": "Random control: the unbiased sample"}
        )
    if aeo:
        sentence = aeo_sentence or "Authorised Economic Operator"
        reasons.append(
            {"aeo": True, "priority": True,
             "sentence": f"{sentence}: priority lane, fewer controls"}
        )  # fmt: skip
    if channel is not Channel.GREEN and "customs" not in agencies:
        agencies.insert(0, "customs")
    return Decision(
        party=candidate.party,
        reference=candidate.reference,
        declaration_id=candidate.declaration_id,
        version=candidate.version,
        office=candidate.office,
        lodged_at=candidate.lodged_at,
        channel=channel,
        score=score,
        random_control=random_control,
        aeo=aeo,
        reasons=reasons,
        agencies=agencies,
        checklist=checklist,
        engine_version=ENGINE_VERSION,
        profiles_version=set_version or profiles_version(profiles),
        model_version=model_version,
        mandatory=random_control,
        priority=aeo,
    )
