"""Interval estimates: hand-computed cases, properties, and coverage against a known simulation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from riskhub.kpis.intervals import (
    Z95,
    Interval,
    Stratum,
    detection_rate,
    difference,
    difference_in_differences,
    difference_in_differences_means,
    leakage,
    non_compliant_total,
    wilson,
)

UNKNOWN = Interval(None, None, None)

# --- Hand-computed cases ------------------------------------------------------------------


def test_wilson_five_in_a_hundred() -> None:
    # z = 1.959964, z² = 3.841459
    # centre = (5 + z²/2) / (100 + z²) = 6.920729 / 103.841459 = 0.066647
    # half   = z / (100 + z²) · sqrt(5·95/100 + z²/4) = 0.018875 · sqrt(4.75 + 0.960365)
    #        = 0.018875 · 2.389637 = 0.045103
    # low = 0.066647 − 0.045103 = 0.021544, high = 0.066647 + 0.045103 = 0.111750
    interval = wilson(5, 100)
    assert interval.estimate == 0.05
    assert interval.low == pytest.approx(0.021544, abs=1e-6)
    assert interval.high == pytest.approx(0.111750, abs=1e-6)
    assert interval.as_dict() == {"estimate": 0.05, "low": 0.0215, "high": 0.1118}


def test_wilson_no_hits_still_has_an_upper_bound() -> None:
    # At x = 0 the centre equals the half width, so low = 0 and high = z²/(n + z²)
    # = 3.841459 / 23.841459 = 0.161125.
    interval = wilson(0, 20)
    assert interval.estimate == 0.0
    assert interval.low == 0.0
    assert interval.high == pytest.approx(0.161125, abs=1e-6)
    assert wilson(20, 20).high == 1.0


def test_wilson_without_data_is_unknown() -> None:
    assert wilson(0, 0) == UNKNOWN
    assert UNKNOWN.as_dict() == {"estimate": None, "low": None, "high": None}


@pytest.mark.parametrize(("successes", "n"), [(-1, 10), (0, -1), (11, 10)])
def test_wilson_rejects_impossible_counts(successes: int, n: int) -> None:
    with pytest.raises(ValueError):
        wilson(successes, n)


# Two strata, z = 2 to keep the arithmetic by hand readable:
#   non-AEO: N = 1000, n = 100, x = 10 -> 1000 · 10/100 = 100
#   AEO:     N = 500,  n = 50,  x = 0  -> 0
#   T = 100
#   adjusted p: (10 + 2)/(100 + 4) = 12/104 and (0 + 2)/(50 + 4) = 2/54
#   var non-AEO = 1000² · (12/104)(92/104) / 100 · (900/999) = 5,750,000/6,253 = 919.559
#   var AEO     = 500²  · (2/54)(52/54)   / 50  · (450/499) = 6,500,000/40,419 = 160.815
#   sd = sqrt(1080.374) = 32.869, so T = 100 ± 65.738 -> [34.262, 165.738]
HAND_STRATA = [Stratum(1000, 100, 10), Stratum(500, 50, 0)]


def test_non_compliant_total_by_hand() -> None:
    interval = non_compliant_total(HAND_STRATA, z=2.0)
    assert interval.estimate == pytest.approx(100.0)
    assert interval.low == pytest.approx(34.262, abs=1e-3)
    assert interval.high == pytest.approx(165.738, abs=1e-3)


def test_detection_rate_by_hand() -> None:
    # detected = 20: 20/100 = 0.2, low = 20/165.738 = 0.12067, high = 20/34.262 = 0.58374
    interval = detection_rate(20, HAND_STRATA, z=2.0)
    assert interval.estimate == pytest.approx(0.2)
    assert interval.low == pytest.approx(0.12067, abs=1e-5)
    assert interval.high == pytest.approx(0.58374, abs=1e-5)
    # detected = 80 exceeds T_low = 34.262, so the total is at least 80 and high = 80/80 = 1.
    # estimate 80/100 = 0.8, low = 80/165.738 = 0.48269
    interval = detection_rate(80, HAND_STRATA, z=2.0)
    assert interval.estimate == pytest.approx(0.8)
    assert interval.low == pytest.approx(0.48269, abs=1e-5)
    assert interval.high == 1.0
    # detected = 120 exceeds the estimate 100 itself: everything found, T' = 120 -> 1.
    assert detection_rate(120, HAND_STRATA, z=2.0).estimate == 1.0


def test_leakage_by_hand() -> None:
    # detected = 20: 100 − 20 = 80, [34.262 − 20, 165.738 − 20] = [14.262, 145.738]
    interval = leakage(20, HAND_STRATA, z=2.0)
    assert interval.estimate == pytest.approx(80.0)
    assert interval.low == pytest.approx(14.262, abs=1e-3)
    assert interval.high == pytest.approx(145.738, abs=1e-3)
    # detected = 80: 100 − 80 = 20, low max(0, 34.262 − 80) = 0, high 165.738 − 80 = 85.738
    interval = leakage(80, HAND_STRATA, z=2.0)
    assert interval.estimate == pytest.approx(20.0)
    assert interval.low == 0.0
    assert interval.high == pytest.approx(85.738, abs=1e-3)


def test_strata_edge_cases() -> None:
    unsampled = [Stratum(1000, 100, 10), Stratum(500, 0, 0)]
    assert non_compliant_total(unsampled) == UNKNOWN
    assert detection_rate(5, unsampled) == UNKNOWN
    assert leakage(5, unsampled) == UNKNOWN
    assert non_compliant_total([]) == UNKNOWN
    # An empty stratum is ignored, not unknown.
    with_empty = [*HAND_STRATA, Stratum(0, 0, 0)]
    assert non_compliant_total(with_empty, z=2.0) == non_compliant_total(HAND_STRATA, z=2.0)
    # A census has no sampling error.
    assert non_compliant_total([Stratum(50, 50, 7), Stratum(1, 1, 1)]) == Interval(8.0, 8.0, 8.0)
    # Nothing found by the sample nor by the controls: there is no rate to report.
    nothing = [Stratum(1000, 100, 0)]
    assert detection_rate(0, nothing) == UNKNOWN
    assert detection_rate(0, HAND_STRATA) == Interval(0.0, 0.0, 0.0)
    with pytest.raises(ValueError):
        non_compliant_total([Stratum(10, 20, 0)])
    with pytest.raises(ValueError):
        non_compliant_total([Stratum(100, 10, 11)])
    with pytest.raises(ValueError):
        detection_rate(-1, HAND_STRATA)


def test_difference_by_hand() -> None:
    # 10/100 -> 20/100: 0.1, var = 0.1·0.9/100 + 0.2·0.8/100 = 0.0025, SE 0.05, z = 2: [0, 0.2]
    interval = difference((10, 100), (20, 100), z=2.0)
    assert interval.estimate == pytest.approx(0.1)
    assert interval.low == pytest.approx(0.0)
    assert interval.high == pytest.approx(0.2)
    assert difference((0, 0), (3, 10)) == UNKNOWN


def test_difference_in_differences_by_hand() -> None:
    # (0.20 − 0.10) − (0.18 − 0.15) = 0.07
    # var = (0.1·0.9 + 0.2·0.8 + 0.15·0.85 + 0.18·0.82)/100 = 0.5251/100, SE = 0.072464
    # z = 2: 0.07 ± 0.144928 -> [−0.074928, 0.214928]
    interval = difference_in_differences((10, 100), (20, 100), (15, 100), (18, 100), z=2.0)
    assert interval.estimate == pytest.approx(0.07)
    assert interval.low == pytest.approx(-0.074928, abs=1e-6)
    assert interval.high == pytest.approx(0.214928, abs=1e-6)
    assert difference_in_differences((1, 10), (2, 10), (0, 0), (2, 10)) == UNKNOWN
    with pytest.raises(ValueError):
        difference_in_differences((11, 10), (2, 10), (1, 10), (2, 10))


def test_difference_in_differences_means_by_hand() -> None:
    # pilot: mean 12 (var 4, n 3) -> mean 9 (var 1, n 3); control: 12 (var 2, n 2) -> 13 (var 2, n 4)
    # (9 − 12) − (13 − 12) = −4; var = 4/3 + 1/3 + 2/2 + 2/4 = 3.166667, SE 1.779513
    # z = 2: −4 ± 3.559026 -> [−7.559026, −0.440974]
    interval = difference_in_differences_means(
        [10, 12, 14], [8, 9, 10], [11, 13], [12, 12, 15, 13], z=2.0
    )
    assert interval.estimate == pytest.approx(-4.0)
    assert interval.low == pytest.approx(-7.559026, abs=1e-6)
    assert interval.high == pytest.approx(-0.440974, abs=1e-6)
    assert difference_in_differences_means([1, 2], [3], [1, 2], [3, 4]) == UNKNOWN


# --- Properties ---------------------------------------------------------------------------


@st.composite
def proportions(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(st.integers(0, 1_000_000))
    return draw(st.integers(0, n)), n


@st.composite
def strata(draw: st.DrawFn) -> list[Stratum]:
    result = []
    for _ in range(draw(st.integers(1, 3))):
        population = draw(st.integers(0, 200_000))
        sampled = draw(st.integers(0, population))
        result.append(Stratum(population, sampled, draw(st.integers(0, sampled))))
    return result


@given(proportions(), st.floats(0.1, 5.0))
def test_wilson_is_ordered_and_within_0_1(counts: tuple[int, int], z: float) -> None:
    interval = wilson(*counts, z=z)
    if counts[1] == 0:
        assert interval == UNKNOWN
        return
    assert interval.low is not None and interval.estimate is not None
    assert interval.high is not None
    assert 0.0 <= interval.low <= interval.estimate <= interval.high <= 1.0


@given(strata(), st.data())
def test_detection_rate_and_leakage_are_ordered(groups: list[Stratum], data: st.DataObject) -> None:
    detected = data.draw(st.integers(0, sum(s.population for s in groups)))
    rate = detection_rate(detected, groups)
    missed = leakage(detected, groups)
    if non_compliant_total(groups) == UNKNOWN:
        assert rate == missed == UNKNOWN
        return
    if rate.estimate is not None:
        assert rate.low is not None and rate.high is not None
        assert 0.0 <= rate.low <= rate.estimate <= rate.high <= 1.0
    assert missed.low is not None and missed.estimate is not None and missed.high is not None
    assert 0.0 <= missed.low <= missed.estimate <= missed.high


# --- Coverage against a known simulation --------------------------------------------------
#
# Each check draws samples from a population whose truth is known and counts how often the
# interval covers it. The generator seeds are fixed, so a run is reproducible. Observed with
# these seeds (z = Z95 / z = 1.0, the latter a deliberately too-narrow interval):
#   Wilson, p = 0.05, n = 200 (exact coverage 0.9672), 200,000 draws:  0.9674 / 0.7464
#   total, 40,000 non-AEO at 6% sampled 2%, 10,000 AEO at 1% sampled 2%: 0.9575 / 0.6733
#   detection rate (controls find 60% of the true total), same strata:  0.9575 / 0.6733
#   total, AEO sampled at 0.5% instead (0.5 expected hits there):      0.9865 / 0.7135
#   DiD of proportions, 10% -> 15% (n 400) vs 8% -> 9% (n 500):       0.9567 / 0.7045
# Over 20 other seeds the z = Z95 coverages stayed within 0.9668-0.9679 (Wilson),
# 0.948-0.962 (total, detection), 0.980-0.988 (sparse AEO) and 0.944-0.963 (DiD).
# test_coverage_checks_fail_a_too_narrow_interval keeps the z = 1.0 failures asserted.

REPLICATIONS = 4000
RANGES = {
    "wilson": (0.93, 0.97),
    "total": (0.92, 0.975),
    "detection": (0.92, 0.98),
    # The Agresti-Coull shrinkage adds z²/2 ≈ 1.9 pseudo-hits to a stratum whose sample
    # expects 0.5 real ones, so its variance is overstated and the interval is
    # conservative there (about 98.5%): asserted as such, not as nominal.
    "total_sparse_aeo": (0.95, 0.995),
    "did": (0.93, 0.97),
}


def wilson_coverage(z: float) -> float:
    rng = np.random.default_rng(20250101)
    p, n = 0.05, 200
    hits = rng.binomial(n, p, size=50 * REPLICATIONS)
    # The interval depends on the number of hits only: compute it once per possible count.
    covers = []
    for x in range(n + 1):
        interval = wilson(x, n, z=z)
        assert interval.low is not None and interval.high is not None
        covers.append(interval.low <= p <= interval.high)
    return float(np.array(covers)[hits].mean())


def strata_coverage(aeo_rate: float, z: float) -> tuple[float, float]:
    """Coverage of the true total and of the true detection rate (targeted controls find 60%)."""
    rng = np.random.default_rng(20250102)
    population = np.array([40_000, 10_000])  # non-AEO, AEO
    bad = np.array([2_400, 100])  # non-compliance 6% and 1%: the truth, fixed
    true_total = int(bad.sum())
    detected = true_total * 60 // 100
    # Random selection of each declaration at its stratum's rate; the hits in the sample are
    # then hypergeometric (drawn without replacement from this very population).
    sampled = rng.binomial(population, [0.02, aeo_rate], size=(REPLICATIONS, 2))
    hits = rng.hypergeometric(bad, population - bad, sampled)
    total_hits = rate_hits = 0
    for n, x in zip(sampled.tolist(), hits.tolist(), strict=True):
        groups = [Stratum(int(population[s]), n[s], x[s]) for s in range(2)]
        total = non_compliant_total(groups, z=z)
        rate = detection_rate(detected, groups, z=z)
        assert total.low is not None and total.high is not None
        assert rate.low is not None and rate.high is not None
        total_hits += total.low <= true_total <= total.high
        rate_hits += rate.low <= detected / true_total <= rate.high
    return total_hits / REPLICATIONS, rate_hits / REPLICATIONS


def did_coverage(z: float) -> float:
    rng = np.random.default_rng(20250103)
    sizes = (400, 400, 500, 500)  # pilot before/after, control before/after
    rates = (0.10, 0.15, 0.08, 0.09)
    truth = (rates[1] - rates[0]) - (rates[3] - rates[2])
    hits = rng.binomial(sizes, rates, size=(REPLICATIONS, 4)).tolist()
    covered = 0
    for x in hits:
        pb, pa, cb, ca = ((x[g], sizes[g]) for g in range(4))
        interval = difference_in_differences(pb, pa, cb, ca, z=z)
        assert interval.low is not None and interval.high is not None
        covered += interval.low <= truth <= interval.high
    return covered / REPLICATIONS


def coverages(z: float) -> dict[str, float]:
    total, detection = strata_coverage(0.02, z)
    sparse_total, _ = strata_coverage(0.005, z)
    return {
        "wilson": wilson_coverage(z),
        "total": total,
        "detection": detection,
        "total_sparse_aeo": sparse_total,
        "did": did_coverage(z),
    }


def test_coverage_against_a_known_simulation() -> None:
    observed = coverages(Z95)
    print({name: round(value, 4) for name, value in observed.items()})
    for name, (low, high) in RANGES.items():
        assert low <= observed[name] <= high, (name, observed[name])


def test_coverage_checks_fail_a_too_narrow_interval() -> None:
    observed = coverages(1.0)
    print({name: round(value, 4) for name, value in observed.items()})
    for name, (low, _) in RANGES.items():
        assert observed[name] < low, (name, observed[name])
