"""No temporal leakage in the features; the random sample corrects selection bias."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
from polars.testing import assert_frame_equal

from riskhub.targeting import features
from riskhub.targeting.model import fit
from riskhub.targeting.sources import CANONICAL
from riskhub.targeting.weights import inverse_propensity

START = date(2026, 1, 1)


def traffic(n: int, seed: int, *, days: int = 60, hidden: np.ndarray | None = None) -> pl.DataFrame:
    """Canonical rows: 12 HS codes of different risk, 40 importers, values, labels."""
    rng = np.random.default_rng(seed)
    hs = rng.integers(0, 12, n)
    base = np.linspace(-3.0, 0.5, 12)[hs]
    z = rng.normal(size=n) if hidden is None else hidden
    fraud = rng.random(n) < 1 / (1 + np.exp(-(base + 1.5 * z)))
    return pl.DataFrame(
        {
            "id": [f"D{seed}-{i}" for i in range(n)],
            "date": [START + timedelta(days=int(d)) for d in np.sort(rng.integers(0, days, n))],
            "office": rng.choice(["RS-PRE", "RS-BAT"], n),
            "declarant": rng.choice([f"B{i}" for i in range(8)], n),
            "importer": rng.choice([f"I{i}" for i in range(40)], n),
            "seller": rng.choice([f"S{i}" for i in range(30)], n),
            "hs6": [f"{840000 + h}" for h in hs],
            "origin": rng.choice(["CN", "TR", "DE"], n),
            "departure": rng.choice(["MK", "HU"], n),
            "procedure": "IMPORT/4000",
            "transport": "3",
            "tax_type": "A",
            "origin_claim": "N",
            "tax_rate": rng.choice([0.0, 5.0, 10.0], n),
            "net_mass": rng.lognormal(5, 1, n),
            "value": rng.lognormal(9, 1, n),
            "fraud": fraud.astype(np.int8),
            "critical": np.zeros(n, np.int8),
            "revenue": np.where(fraud, rng.lognormal(6, 1, n), 0.0),
        }
    ).cast(CANONICAL)


def test_a_feature_at_time_t_is_unchanged_by_rows_after_t() -> None:
    early = traffic(3000, 1, days=40)
    later = traffic(2000, 2, days=30).with_columns(pl.col("date") + timedelta(days=40))
    alone, _ = features.fit_encode(early)
    together, _ = features.fit_encode(pl.concat([early, later]))
    assert_frame_equal(alone, together.head(early.height))
    # And a row's own label (and its day's) never reaches its features.
    flipped = early.with_columns(
        pl.when(pl.col("date") == pl.col("date").max())
        .then(1 - pl.col("fraud"))
        .otherwise(pl.col("fraud"))
        .alias("fraud")
    )
    last_day = (early["date"] == early["date"].max()).to_numpy()
    again, _ = features.fit_encode(flipped)
    assert_frame_equal(alone.filter(last_day), again.filter(last_day))
    # Sanity: the features do move when the past changes.
    shifted, _ = features.fit_encode(early.with_columns(fraud=1 - pl.col("fraud")))
    assert not alone.equals(shifted)


def test_scoring_uses_the_training_window_only() -> None:
    train = traffic(3000, 3)
    _, history = features.fit_encode(train)
    new = traffic(500, 4).with_columns(pl.col("date") + timedelta(days=90))
    first = features.encode(new, history)
    # Labels of the rows scored play no part.
    second = features.encode(new.with_columns(fraud=1 - pl.col("fraud")), history)
    assert_frame_equal(first, second)


def test_random_sample_weights_correct_the_selection_bias() -> None:
    """Rules pick on information the model does not see; random controls restore the balance."""
    n, rate = 40_000, 0.05
    rng = np.random.default_rng(11)
    hidden = rng.normal(size=n)  # e.g. intelligence only the profiles use
    population = traffic(n, 5, days=120, hidden=hidden)
    truth = float(population["fraud"].mean())
    targeted = hidden > 1.0
    random_control = rng.random(n) < rate
    inspected = targeted | random_control
    sample = population.filter(pl.Series(inspected))
    naive = fit(sample, rounds=120)
    weights = inverse_propensity(
        targeted=targeted[inspected], random_control=random_control[inspected], random_rate=rate
    )
    corrected = fit(sample, weights=weights, rounds=120)
    naive_rate = float(naive.predict(population)["probability"].mean())
    corrected_rate = float(corrected.predict(population)["probability"].mean())
    print(f"truth {truth:.4f} naive {naive_rate:.4f} corrected {corrected_rate:.4f}")
    bound = 0.25 * truth  # within a quarter of the true rate
    assert abs(corrected_rate - truth) < bound
    assert abs(naive_rate - truth) > bound
