"""Correcting for how declarations came to be inspected (inverse-propensity weights).

Only inspected declarations have labels, and most were inspected because a
profile or the model picked them: a model trained on them alone learns what
the *selected* traffic looks like and overstates risk everywhere else. The
random control sample is the way out. A declaration selected by the risk
rules was certain to be inspected (propensity 1); one inspected only because
the random draw chose it had a chance equal to the random rate, so it stands
for 1 / rate declarations like it that were released unseen.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Array = np.ndarray[Any, Any]


def inverse_propensity(
    *, targeted: Array, random_control: Array, random_rate: Array | float
) -> Array:
    """A weight per inspected row: 1 when targeted, 1 / rate when only the random draw chose it."""
    rate = np.broadcast_to(np.asarray(random_rate, dtype=float), targeted.shape)
    if np.any((rate <= 0) & random_control & ~targeted):
        raise ValueError("a random control needs its random rate (> 0)")
    only_random = random_control & ~targeted
    return np.where(only_random, 1.0 / np.where(rate > 0, rate, 1.0), 1.0)
