"""Interval estimates for the risk-management KPIs: non-compliance, detection, leakage, pilots.

The random control sample is drawn independently of the risk profiles, at one rate for
AEO traders and another for the rest, so it is a stratified random sample: each stratum
estimates its own non-compliance rate, and the population total is the sum of the
stratum sizes times those rates. The methods were chosen for the small counts customs
data gives:

* A single proportion uses the Wilson score interval, not the textbook "p ± z·SE"
  (Wald) one: with few hits (5 in 100, or none at all) Wald gives intervals that are too
  narrow, reach below zero, or collapse to a point at 0 hits. Wilson stays within [0, 1],
  is never empty, and covers close to the nominal 95%.
* The total of non-compliant declarations uses a normal interval around the stratified
  estimate. Its variance takes each stratum's rate shrunk as Agresti and Coull suggest,
  (x + z²/2) / (n + z²), so a stratum in which the sample found nothing (common for AEO
  traders) still adds uncertainty instead of claiming to know its rate is exactly zero.
  The finite population correction shrinks the variance when a large share of a stratum
  was inspected. A stratum with declarations but no random controls makes the total
  unknown: guessing its rate would bias every KPI built on it.
* The detection rate (non-compliant declarations found by all controls, divided by all
  non-compliant declarations) and the leakage (those not found) follow from the total's
  interval, since both move monotonically with the total. The true total can never be
  below what the controls actually found, so the estimate and bounds use that floor.
* Pilots are compared with difference-in-differences: the change in the pilot offices
  minus the change in comparable control offices removes trends common to both (season,
  trade mix). The four groups are independent samples, so their variances add. Where
  there are no control offices, a plain before/after difference is the fallback, and
  should be read with that caveat.

Every function is pure, and answers "unknown" (None) rather than a number when the data
cannot support one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054  # the two-sided 95% quantile of the standard normal


@dataclass(frozen=True, slots=True)
class Interval:
    """A point estimate with its interval; all None when there is no data."""

    estimate: float | None
    low: float | None
    high: float | None

    def as_dict(self, digits: int = 4) -> dict[str, float | None]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, digits)

        return {
            "estimate": rounded(self.estimate),
            "low": rounded(self.low),
            "high": rounded(self.high),
        }


UNKNOWN = Interval(None, None, None)


@dataclass(frozen=True, slots=True)
class Stratum:
    """One stratum of the random control sample (e.g. AEO or non-AEO declarations)."""

    population: int  # declarations in the stratum (e.g. all non-AEO declarations in the period)
    sampled: int  # random-control declarations inspected in the stratum
    non_compliant: int  # of those, how many had a discrepancy


def _check_proportion(successes: int, n: int) -> None:
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")


def wilson(successes: int, n: int, *, z: float = Z95) -> Interval:
    """Wilson score interval for the proportion successes / n."""
    _check_proportion(successes, n)
    if n == 0:
        return UNKNOWN
    p = successes / n
    z2 = z * z
    centre = (successes + z2 / 2) / (n + z2)
    half = z / (n + z2) * math.sqrt(successes * (n - successes) / n + z2 / 4)
    # At 0 (or n) successes the bound is exactly 0 (or 1); rounding must not move it.
    low = 0.0 if successes == 0 else max(0.0, min(centre - half, p))
    high = 1.0 if successes == n else min(1.0, max(centre + half, p))
    return Interval(p, low, high)


def non_compliant_total(strata: Sequence[Stratum], *, z: float = Z95) -> Interval:
    """Estimated number of non-compliant declarations in all strata together."""
    total = 0.0
    variance = 0.0
    population = 0
    for s in strata:
        _check_proportion(s.non_compliant, s.sampled)
        if s.sampled > s.population:
            raise ValueError(f"sampled {s.sampled} exceeds the population {s.population}")
        if s.population == 0:
            continue
        if s.sampled == 0:
            return UNKNOWN
        population += s.population
        total += s.population * s.non_compliant / s.sampled
        adjusted = (s.non_compliant + z * z / 2) / (s.sampled + z * z)
        # A single-declaration stratum that was sampled is a census: nothing left to guess.
        fpc = (s.population - s.sampled) / (s.population - 1) if s.population > 1 else 0.0
        variance += s.population**2 * adjusted * (1 - adjusted) / s.sampled * fpc
    if population == 0:
        return UNKNOWN
    total = min(total, float(population))
    half = z * math.sqrt(variance)
    low = min(max(0.0, total - half), total)
    high = max(min(float(population), total + half), total)
    return Interval(total, low, high)


def _floored_total(detected: int, strata: Sequence[Stratum], z: float) -> Interval:
    if detected < 0:
        raise ValueError(f"detected must be >= 0, got {detected}")
    total = non_compliant_total(strata, z=z)
    if total.estimate is None or total.low is None or total.high is None:
        return UNKNOWN
    if detected > sum(s.population for s in strata):
        raise ValueError(f"detected {detected} exceeds the number of declarations")
    floor = float(detected)
    return Interval(max(total.estimate, floor), max(total.low, floor), max(total.high, floor))


def detection_rate(detected: int, strata: Sequence[Stratum], *, z: float = Z95) -> Interval:
    """Share of all non-compliant declarations that the controls (targeted + random) found.

    ``detected`` counts the non-compliant declarations found by every kind of control.
    """
    total = _floored_total(detected, strata, z)
    if total.estimate is None or total.low is None or total.high is None:
        return UNKNOWN
    if detected == 0:
        # 0 / T is 0 for any T > 0; with no non-compliance seen at all there is no rate.
        return Interval(0.0, 0.0, 0.0) if total.estimate > 0 else UNKNOWN
    # The total is at least `detected` > 0 (floored), so every division is defined and
    # lands in (0, 1]; a larger total means a lower rate, hence the swapped bounds.
    return Interval(detected / total.estimate, detected / total.high, detected / total.low)


def leakage(detected: int, strata: Sequence[Stratum], *, z: float = Z95) -> Interval:
    """Estimated number of non-compliant declarations that no control caught."""
    total = _floored_total(detected, strata, z)
    if total.estimate is None or total.low is None or total.high is None:
        return UNKNOWN
    return Interval(total.estimate - detected, total.low - detected, total.high - detected)


def _normal(estimate: float, variance: float, z: float, bound: float) -> Interval:
    half = z * math.sqrt(variance)
    return Interval(estimate, max(-bound, estimate - half), min(bound, estimate + half))


def _proportions(groups: Sequence[tuple[int, int]]) -> list[tuple[float, float]] | None:
    """(p, p(1-p)/n) per group, or None when a group is empty."""
    for successes, n in groups:
        _check_proportion(successes, n)
    if any(n == 0 for _, n in groups):
        return None
    return [(x / n, (x / n) * (1 - x / n) / n) for x, n in groups]


def difference(before: tuple[int, int], after: tuple[int, int], *, z: float = Z95) -> Interval:
    """Before/after difference of two proportions, each given as (successes, n)."""
    groups = _proportions([before, after])
    if groups is None:
        return UNKNOWN
    (pb, vb), (pa, va) = groups
    return _normal(pa - pb, va + vb, z, 1.0)


def difference_in_differences(
    pilot_before: tuple[int, int],
    pilot_after: tuple[int, int],
    control_before: tuple[int, int],
    control_after: tuple[int, int],
    *,
    z: float = Z95,
) -> Interval:
    """(pilot after − pilot before) − (control after − control before) of proportions."""
    groups = _proportions([pilot_before, pilot_after, control_before, control_after])
    if groups is None:
        return UNKNOWN
    (pb, vpb), (pa, vpa), (cb, vcb), (ca, vca) = groups
    return _normal((pa - pb) - (ca - cb), vpb + vpa + vcb + vca, z, 2.0)


def difference_in_differences_means(
    pilot_before: Sequence[float],
    pilot_after: Sequence[float],
    control_before: Sequence[float],
    control_after: Sequence[float],
    *,
    z: float = Z95,
) -> Interval:
    """Difference-in-differences of means (e.g. release hours) of four independent groups."""
    arrays = [
        np.asarray(values, dtype=np.float64)
        for values in (pilot_before, pilot_after, control_before, control_after)
    ]
    if any(a.size < 2 for a in arrays):
        return UNKNOWN
    if not all(np.isfinite(a).all() for a in arrays):
        raise ValueError("values must be finite numbers")
    means = [float(a.mean()) for a in arrays]
    variance = sum(float(a.var(ddof=1)) / a.size for a in arrays)
    pb, pa, cb, ca = means
    return _normal((pa - pb) - (ca - cb), variance, z, math.inf)
