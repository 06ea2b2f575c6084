"""Summaries over seeds: Student-t intervals of a metric over runs.

The paired bootstrap of a metric difference over seeds lives with the other statistics in
:func:`ganlab.metrics.seed_paired_bootstrap`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def mean_ci(values: Sequence[float], level: float = 0.95) -> dict[str, float]:
    """Mean and Student-t interval over runs: ``{"mean", "ci_low", "ci_high", "n"}``.

    One run gives no interval (``nan`` bounds); ``nan`` values are left out.
    """
    from scipy import stats

    arr = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    n = int(arr.size)
    if n == 0:
        return {"mean": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "n": 0}
    mean = float(arr.mean())
    if n < 2:
        return {"mean": mean, "ci_low": float("nan"), "ci_high": float("nan"), "n": 1}
    half = float(stats.t.ppf((1 + level) / 2, n - 1) * arr.std(ddof=1) / math.sqrt(n))
    return {"mean": mean, "ci_low": mean - half, "ci_high": mean + half, "n": n}


def format_mean_ci(entry: dict[str, float], digits: int = 3) -> str:
    """``0.812 ± 0.021`` (half-width of the interval), or the mean alone for one run."""
    if math.isnan(entry["mean"]):
        return "—"
    if math.isnan(entry["ci_low"]):
        return f"{entry['mean']:.{digits}f}"
    return f"{entry['mean']:.{digits}f} ± {(entry['ci_high'] - entry['ci_low']) / 2:.{digits}f}"
