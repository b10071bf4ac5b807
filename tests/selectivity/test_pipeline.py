"""The decision pipeline without a database: random control, AEO facilitation, budgets."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest

from riskhub.profiles.compiled import CompiledProfile, compile_profile
from riskhub.profiles.document import Channel, read_profile
from riskhub.selectivity import budget
from riskhub.selectivity.pipeline import Candidate, Decision, OfficeRates, decide

SECRET = b"test-secret"


def profile(code: str, channel: str, weight: int, share: float = 1.0) -> CompiledProfile:
    text = (
        f"code: {code}\ntitle: {code} title\nthreat: other\ncriteria: {{net_mass: {{gt: 1}}}}\n"
        f"action: {{channel: {channel}, checklist: [check {code}]}}\nweight: {weight}\n"
        f"select_share: {share}\n"
    )
    read = read_profile(text)
    assert read.ok and read.document and read.criteria, read.problems
    return compile_profile(id=1, owner="RS", version=1, document=read.document,
                           criteria=read.criteria, lists={})  # fmt: skip


def candidate(n: int, fired: list[int], office: str = "RS-PRE", day: int = 0) -> Candidate:
    at = datetime(2026, 6, 1, 8) + timedelta(days=day, seconds=n)
    return Candidate("RS", f"REF{n}", n, 1, office, at, "T1", fired)


def within(count: int, n: int, rate: float) -> bool:
    # Five standard deviations: a correct draw fails this about once in 3.5 million runs.
    sd = math.sqrt(n * rate * (1 - rate))
    return abs(count - n * rate) <= 5 * sd


@pytest.mark.parametrize(("aeo", "rate"), [(False, 0.05), (True, 0.01)])
def test_random_control_rate_is_within_statistical_bounds(aeo: bool, rate: float) -> None:
    rates = OfficeRates(random_rate=0.05, random_rate_aeo=0.01)
    n = 20_000
    picked = sum(
        decide(candidate(i, []), profiles=[], rates=rates, aeo=aeo, secret=SECRET).random_control
        for i in range(n)
    )
    assert within(picked, n, rate), picked


def test_random_control_is_red_and_independent_of_profiles() -> None:
    rates = OfficeRates(random_rate=0.1)
    profiles = [profile("PRF1", "yellow", 30)]
    n = 10_000
    hit = [decide(candidate(i, [0]), profiles=profiles, rates=rates, aeo=False, secret=SECRET)
           for i in range(n)]  # fmt: skip
    randoms = [d for d in hit if d.random_control]
    assert all(d.channel is Channel.RED for d in randoms)
    assert within(len(randoms), n, 0.1)
    # The same reference draws the same, whatever fired: an amendment cannot re-draw.
    again = decide(candidate(0, []), profiles=profiles, rates=rates, aeo=False, secret=SECRET)
    assert again.random_control == hit[0].random_control


def test_select_share_and_aeo_facilitation() -> None:
    profiles = [profile("HALF", "red", 40, share=0.5)]
    rates = OfficeRates(random_rate=0.0, random_rate_aeo=0.0)
    n = 10_000
    plain = [decide(candidate(i, [0]), profiles=profiles, rates=rates, aeo=False, secret=SECRET)
             for i in range(n)]  # fmt: skip
    aeo = [decide(candidate(i, [0]), profiles=profiles, rates=rates, aeo=True, secret=SECRET)
           for i in range(n)]  # fmt: skip
    assert within(sum(d.channel is Channel.RED for d in plain), n, 0.5)
    assert within(sum(d.channel is Channel.RED for d in aeo), n, 0.25)
    assert all(d.score == 40 for d in plain)
    assert all(any(r.get("aeo") for r in d.reasons) for d in aeo)


def test_strictest_action_wins_and_reasons_say_why() -> None:
    profiles = [profile("DOC", "yellow", 20), profile("PHYS", "red", 50)]
    rates = OfficeRates(random_rate=0.0)
    d = decide(candidate(1, [0, 1]), profiles=profiles, rates=rates, aeo=False, secret=SECRET)
    assert d.channel is Channel.RED and d.score == 70
    assert d.checklist == ["check DOC", "check PHYS"]
    assert d.agencies == ["customs"]
    sentences = [r["sentence"] for r in d.reasons]
    assert sentences == ["DOC title: net mass is above 1", "PHYS title: net mass is above 1"]
    none = decide(candidate(2, []), profiles=profiles, rates=rates, aeo=False, secret=SECRET)
    assert none.channel is Channel.GREEN and none.score == 0 and none.reasons == []


def _decisions(scores: list[float], channel: Channel, office: str, day: int = 0) -> list[Decision]:
    out = []
    for i, score in enumerate(scores):
        c = candidate(i + 1000 * day, [], office, day)
        out.append(Decision(c.party, c.reference, c.declaration_id, 1, office, c.lodged_at,
                            channel, score, False, False, [], [], [], "e", "p", None))  # fmt: skip
    return out


def test_budget_tops_up_by_score_and_caps_by_capacity_per_office() -> None:
    rates = {
        "A": OfficeRates(target_red=0.10, target_yellow=0.0),
        "B": OfficeRates(target_red=0.10, target_yellow=0.0, red_capacity_per_day=2),
    }
    a = _decisions([float(s) for s in range(100)], Channel.GREEN, "A")
    b = _decisions([float(s) for s in range(100)], Channel.RED, "B")
    b[0].mandatory = True  # a random control: never moved
    budget.apply_batch([*a, *b], rates=rates)
    red_a = [d for d in a if d.channel is Channel.RED]
    assert len(red_a) == 10
    assert sorted(d.score for d in red_a) == [float(s) for s in range(90, 100)]
    assert all(d.budget and "topped up" in d.budget for d in red_a)
    red_b = [d for d in b if d.channel is Channel.RED]
    assert len(red_b) == 2
    assert b[0] in red_b and b[99] in red_b  # the random control, then the highest score
    assert all("capacity" in (d.budget or "") for d in b if d.channel is Channel.YELLOW)


def test_budget_counts_what_the_day_already_has_and_never_tops_up_score_zero() -> None:
    rates = {"A": OfficeRates(target_red=0.5, target_yellow=0.0)}
    group = _decisions([0.0] * 10, Channel.GREEN, "A")
    budget.apply_batch(group, rates=rates)
    assert all(d.channel is Channel.GREEN for d in group)
    day = group[0].lodged_at.date()
    more = _decisions([5.0] * 10, Channel.GREEN, "A", day=0)
    budget.apply_batch(more, rates=rates, stored={("A", day): budget.DayCount(10, 10, 0)})
    # Half of 20 is already red: nothing more is needed.
    assert all(d.channel is Channel.GREEN for d in more)


def test_online_budget_caps_and_tops_up() -> None:
    rates = OfficeRates(target_red=0.1, red_capacity_per_day=3)
    (red,) = _decisions([10.0], Channel.RED, "A")
    budget.apply_online(red, rates=rates, today=budget.DayCount(50, 3, 0), threshold=None)
    assert red.channel is Channel.YELLOW
    (high,) = _decisions([60.0], Channel.GREEN, "A")
    budget.apply_online(high, rates=rates, today=budget.DayCount(50, 1, 0), threshold=50.0)
    assert high.channel is Channel.RED
    (low,) = _decisions([10.0], Channel.GREEN, "A")
    budget.apply_online(low, rates=rates, today=budget.DayCount(50, 1, 0), threshold=50.0)
    assert low.channel is Channel.GREEN
