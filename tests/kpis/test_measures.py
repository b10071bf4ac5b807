"""Each KPI on a small table computed by hand (the numbers in the comments)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import polars as pl
import pytest

from riskhub.kpis import effectiveness, measures, pilot
from riskhub.kpis.frame import SCHEMA, driver
from riskhub.kpis.intervals import wilson

T0 = datetime(2026, 6, 1, 8)


def row(n: int, channel: str, *, office: str = "RS-PRE", random: bool = False,
        aeo: bool = False, selected: tuple[str, ...] = (), inspected: bool = False,
        hit: bool = False, seizure: bool = False, revenue: float = 0.0,
        hours: float | None = None, when: datetime = T0) -> dict[str, Any]:  # fmt: skip
    return {
        "party": office[:2], "declaration_id": n, "office": office, "lodged_at": when,
        "channel": channel, "random_control": random, "aeo": aeo,
        "driver": driver(channel, random, list(selected), None, None),
        "matched": list(selected), "selected": list(selected), "inspected": inspected,
        "hit": hit, "seizure": seizure, "revenue_eur": revenue, "findings": [],
        "arrival_to_release_h": hours, "lodgement_to_release_h": hours,
    }  # fmt: skip


def frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMA)


P1, P2 = "XS/CEFTA-UV-1", "RS/RS-MASS-2"
# 20 declarations, none AEO:
#   12 green, not inspected, 0.5 h each;
#   4 red selected by P1, inspected: 3 hits (revenue 100, 200, and one seizure), 1 clean;
#   2 yellow selected by P2, inspected, both clean;
#   2 red random controls, inspected: 1 hit (revenue 50), 1 clean.
TABLE = (
    [row(i, "green", hours=0.5) for i in range(12)]
    + [row(12, "red", selected=(P1,), inspected=True, hit=True, revenue=100, hours=3),
       row(13, "red", selected=(P1,), inspected=True, hit=True, revenue=200, hours=4),
       row(14, "red", selected=(P1,), inspected=True, hit=True, seizure=True, hours=5),
       row(15, "red", selected=(P1,), inspected=True, hours=6),
       row(16, "yellow", selected=(P2,), inspected=True, hours=1),
       row(17, "yellow", selected=(P2,), inspected=True, hours=2),
       row(18, "red", random=True, inspected=True, hit=True, revenue=50, hours=3),
       row(19, "red", random=True, inspected=True, hours=3)]
)  # fmt: skip


def test_overall_kpis_match_the_hand_computation() -> None:
    [k] = measures.kpis(frame(TABLE))
    assert k["declarations"] == 20
    # Selectivity: 12/20 green, 6/20 red, 2/20 yellow.
    assert k["selectivity_rate"] == {"green": 0.6, "blue": 0.0, "yellow": 0.1, "red": 0.3}
    # 8 inspected, 4 with a hit.
    assert (k["inspections"], k["hits"]) == (8, 4)
    assert k["hit_rate"] == wilson(4, 8).as_dict()
    assert k["hit_rate"]["estimate"] == 0.5
    # Targeted (not random): 6 inspected, 3 hits; false positives 3 of 6.
    assert k["targeted_hit_rate"] == wilson(3, 6).as_dict()
    assert k["false_positive_rate"] == wilson(3, 6).as_dict()
    # Random sample: 2 inspected, 1 compliant.
    assert k["random_sample"]["inspected"] == 2
    assert k["random_sample"]["compliant"] == 1
    assert k["random_sample"]["compliance_rate"] == wilson(1, 2).as_dict()
    # Non-compliant ≈ 20 × 1/2 = 10; detected 4 → detection 0.4, leakage 6.
    assert k["non_compliant_estimate"]["estimate"] == 10.0
    assert k["detection_rate"]["estimate"] == 0.4
    assert k["leakage"]["estimate"] == 6.0
    # Revenue 100 + 200 + 50 = 350 over 8 inspections.
    assert k["revenue_total_eur"] == 350.0
    assert k["revenue_per_inspection_eur"] == 43.75
    # One seizure in 8 inspections.
    assert k["seizure_rate"]["estimate"] == 0.125
    # Release hours sorted: twelve 0.5, then 1, 2, 3, 3, 3, 4, 5, 6.
    # Median between the 10th and 11th (both 0.5); p90 at position 17.1 → 4 + 0.1 × (5 − 4).
    assert k["release_hours"] == {"n": 20, "median": 0.5, "p90": 4.1,
                                  "lodgement_to_release_median": 0.5}  # fmt: skip
    # Of the 8 sent to control, 6 by profiles and 2 by the random sample.
    assert k["drivers"] == {"profile": 0.75, "model": 0.0, "random": 0.25,
                            "score_top_up": 0.0, "other": 0.0}  # fmt: skip


def test_by_channel_and_profile() -> None:
    by_channel = {r["channel"]: r for r in measures.kpis(frame(TABLE), by="channel")}
    assert set(by_channel) == {"green", "red", "yellow"}
    # Red: 6 inspected, hits 3 targeted + 1 random.
    assert by_channel["red"]["hit_rate"] == wilson(4, 6).as_dict()
    assert by_channel["yellow"]["hit_rate"]["estimate"] == 0.0
    # False positives among targeted controls: red 1 of 4 (the random two left out), yellow 2 of 2.
    assert by_channel["red"]["false_positive_rate"] == wilson(1, 4).as_dict()
    assert by_channel["red"]["targeted_hit_rate"] == wilson(3, 4).as_dict()
    assert by_channel["yellow"]["false_positive_rate"]["estimate"] == 1.0
    assert by_channel["green"]["hit_rate"]["estimate"] is None  # nothing inspected
    # A channel is not a random sample of anything: no population estimates.
    assert by_channel["red"]["detection_rate"]["estimate"] is None
    by_profile = {r["profile"]: r for r in measures.kpis(frame(TABLE), by="profile")}
    assert by_profile[P1]["hit_rate"] == wilson(3, 4).as_dict()
    assert by_profile[P2]["hit_rate"] == wilson(0, 2).as_dict()
    assert by_profile[P1]["revenue_total_eur"] == 300.0


def test_by_office_separates_populations() -> None:
    rows = [{**r, "office": "RS-BAT"} if r["declaration_id"] >= 10 else r for r in TABLE]
    by_office = {r["office"]: r for r in measures.kpis(frame(rows), by="office")}
    assert by_office["RS-PRE"]["declarations"] == 10
    # RS-PRE has no random control: its non-compliance cannot be estimated.
    assert by_office["RS-PRE"]["detection_rate"]["estimate"] is None
    # RS-BAT: 10 declarations, random 1 of 2 non-compliant → 5; 4 detected → 0.8.
    assert by_office["RS-BAT"]["detection_rate"]["estimate"] == 0.8


def test_aeo_stratum_without_random_control_is_pooled() -> None:
    rows = [*TABLE, *(row(100 + i, "green", aeo=True) for i in range(5))]
    [k] = measures.kpis(frame(rows))
    # 25 declarations at the non-AEO rate 1/2: 12.5; detected 4.
    assert k["random_sample"]["strata"] == 1
    assert k["non_compliant_estimate"]["estimate"] == 12.5
    assert k["detection_rate"]["estimate"] == 0.32


def test_estimated_non_compliance_is_never_below_what_was_found() -> None:
    rows = [r for r in TABLE if r["declaration_id"] != 18]  # the one random hit goes
    [k] = measures.kpis(frame(rows))
    # The random sample found nothing (estimate 0), but controls found 3.
    assert k["non_compliant_estimate"]["estimate"] == 3
    assert k["detection_rate"]["estimate"] == 1.0


def test_unknown_group_is_refused() -> None:
    with pytest.raises(ValueError, match="group by one of"):
        measures.kpis(frame(TABLE), by="trader")


def test_profile_review_flags_and_actions() -> None:
    today = date(2026, 6, 30)
    good = [row(200 + i, "red", selected=("RS/GOOD",), inspected=True, hit=i < 11, hours=2)
            for i in range(12)]  # fmt: skip
    weak = [row(300 + i, "red", selected=("RS/WEAK",), inspected=True, hit=i < 2, hours=2)
            for i in range(12)]  # fmt: skip
    old = [row(400, "red", selected=("RS/OLD",), when=T0 - timedelta(days=90))]
    refs = [
        effectiveness.ProfileRef("RS/GOOD", "good"),
        effectiveness.ProfileRef("RS/WEAK", "weak"),
        effectiveness.ProfileRef("RS/OLD", "old"),
        effectiveness.ProfileRef("RS/NEVER", "never"),
        effectiveness.ProfileRef(P1, "few", valid_to=today + timedelta(days=10)),
    ]
    review = {r["profile"]: r for r in effectiveness.review(
        frame([*TABLE, *good, *weak, *old]), refs, today=today)}  # fmt: skip
    # Baseline: the random sample's non-compliance, 1 of 2.
    assert review["RS/GOOD"]["random_baseline"] == 0.5
    # 11 of 12: Wilson low ≈ 0.646 > 0.5: no flag.
    assert review["RS/GOOD"]["flags"] == []
    assert review["RS/GOOD"]["hit_rate"] == wilson(11, 12).as_dict()
    # 2 of 12: not better than random.
    assert review["RS/WEAK"]["flags"] == ["not_better_than_random"]
    assert "tighten the criteria" in review["RS/WEAK"]["actions"][0]
    # Last matched 90 days ago; never inspected.
    assert review["RS/OLD"]["flags"] == ["no_matches", "too_few_inspections"]
    assert review["RS/NEVER"]["flags"] == ["no_matches"]
    assert review["RS/NEVER"]["matches"] == 0
    # P1: 4 inspected (too few to judge) and expiring in 10 days.
    assert review[P1]["flags"] == ["too_few_inspections", "expiring"]
    assert review[P1]["revenue_eur"] == 300.0
    # Release cost: median of its selections (3, 4, 5, 6 → 4.5) minus green (0.5).
    assert review[P1]["release_cost_hours"] == 4.0


def test_pilot_difference_in_differences() -> None:
    after = T0 + timedelta(days=40)
    start = T0 + timedelta(days=30)

    def group(office: str, when: datetime, hits: int, base: int, hours: float) -> list[Any]:
        return [row(base + i, "red", office=office, inspected=True, hit=i < hits,
                    hours=hours + i % 2, when=when) for i in range(10)]  # fmt: skip

    rows = (group("RS-PRE", T0, 2, 0, 4) + group("RS-PRE", after, 6, 10, 3)
            + group("RS-BAT", T0, 2, 20, 4) + group("RS-BAT", after, 3, 30, 4))  # fmt: skip
    result = pilot.compare(frame(rows), pilot=["RS-PRE"], control=["RS-BAT"], start=start)
    # (0.6 − 0.2) − (0.3 − 0.2) = 0.3
    did = result["difference_in_differences"]["hit_rate"]
    assert did["estimate"] == 0.3
    assert did["low"] < 0.3 < did["high"]
    assert result["pilot_change"]["hit_rate"]["estimate"] == 0.4
    # Release hours: pilot 4.5 → 3.5, control 4.5 → 4.5: −1.
    assert result["difference_in_differences"]["release_hours"]["estimate"] == -1.0
    assert result["groups"]["pilot_after"]["declarations"] == 10
    alone = pilot.compare(frame(rows), pilot=["RS-PRE"], control=[], start=start)
    assert alone["difference_in_differences"] is None
    assert "no control offices" in alone["caveat"]
    with pytest.raises(ValueError, match="both a pilot and a control"):
        pilot.compare(frame(rows), pilot=["RS-PRE"], control=["RS-PRE"], start=start)


def test_every_kpi_key_has_a_written_definition() -> None:
    from pathlib import Path

    docs = (Path(__file__).parents[2] / "docs" / "kpis.md").read_text()
    [k] = measures.kpis(frame(TABLE))
    missing = [key for key in k if f"| `{key}` |" not in docs]
    assert missing == []
