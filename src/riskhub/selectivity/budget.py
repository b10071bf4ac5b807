"""The office inspection budget: a target share per channel, topped up by score, capped by capacity.

Like ASYCUDA's expected rates: each office aims at a share of red (physical)
and yellow (documentary) controls a day. When profiles and the random sample
select fewer, the highest-scored remaining declarations are added; when they
select more reds than the office can inspect in a day, the lowest-scored reds
become documentary checks. Random controls are never moved, so the baseline
stays unbiased, and a declaration with no risk signal (score 0) is never
topped up.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from riskhub.profiles.document import SEVERITY, Channel
from riskhub.selectivity.pipeline import Decision, OfficeRates

_FULL = "red capacity of {capacity} a day reached: documentary check instead"
_TOPPED = "topped up to the office's {channel} target by risk score"


@dataclass(frozen=True)
class DayCount:
    """Decisions already stored for an office on a day."""

    total: int = 0
    red: int = 0
    yellow: int = 0


def apply_batch(
    decisions: Sequence[Decision],
    *,
    rates: Mapping[str, OfficeRates],
    stored: Mapping[tuple[str, date], DayCount] | None = None,
) -> None:
    """Adjust channels in place, per office and day of lodgement."""
    groups: dict[tuple[str, date], list[Decision]] = defaultdict(list)
    # In lodgement order, whoever produced them (this process or Spark): ties in score then
    # fall the same way every time.
    for decision in sorted(decisions, key=lambda d: (d.lodged_at, d.declaration_id)):
        groups[(decision.office, decision.lodged_at.date())].append(decision)
    for key, group in groups.items():
        before = (stored or {}).get(key, DayCount())
        _day(group, rates.get(key[0], OfficeRates()), before)


def _day(group: list[Decision], rates: OfficeRates, before: DayCount) -> None:
    total = before.total + len(group)
    reds = [d for d in group if d.channel is Channel.RED]
    red_count = before.red + len(reds)
    capacity = rates.red_capacity_per_day
    if capacity is not None and red_count > capacity:
        movable = sorted((d for d in reds if not d.mandatory), key=lambda d: d.score)
        for decision in movable[: red_count - capacity]:
            decision.move_to(Channel.YELLOW, _FULL.format(capacity=capacity))
            red_count -= 1
    want_red = math.ceil(rates.target_red * total)
    if capacity is not None:
        want_red = min(want_red, capacity)
    _top_up(group, Channel.RED, want_red - red_count, "red")
    yellow_count = before.yellow + sum(d.channel is Channel.YELLOW for d in group)
    want_yellow = math.ceil(rates.target_yellow * total)
    _top_up(group, Channel.YELLOW, want_yellow - yellow_count, "yellow")


def _top_up(group: list[Decision], channel: Channel, missing: int, name: str) -> None:
    if missing <= 0:
        return
    below = [d for d in group if _lower(d.channel, channel) and d.score > 0]
    for decision in sorted(below, key=lambda d: (-d.score, d.reference))[:missing]:
        decision.move_to(channel, _TOPPED.format(channel=name))


def _lower(current: Channel, target: Channel) -> bool:
    return SEVERITY[current] < SEVERITY[target]


def apply_online(
    decision: Decision, *, rates: OfficeRates, today: DayCount, threshold: float | None
) -> None:
    """One declaration as it arrives: cap by today's reds; top up above the office's threshold.

    ``threshold`` is the score above which, in the office's recent decisions, the
    target share of reds would have fallen; None when there is too little history.
    """
    capacity = rates.red_capacity_per_day
    if decision.channel is Channel.RED:
        if capacity is not None and today.red >= capacity and not decision.mandatory:
            decision.move_to(Channel.YELLOW, _FULL.format(capacity=capacity))
        return
    below_target = today.red < rates.target_red * (today.total + 1)
    room = capacity is None or today.red < capacity
    high = threshold is not None and decision.score > 0 and decision.score >= threshold
    if high and below_target and room:
        decision.move_to(Channel.RED, _TOPPED.format(channel="red"))
