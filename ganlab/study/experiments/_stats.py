"""Summaries over seeds: intervals inside each metric's range.

The paired bootstrap of a metric difference over seeds lives with the other statistics in
:func:`ganlab.metrics.seed_paired_bootstrap`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def mean_ci(
    values: Sequence[float],
    level: float = 0.95,
    *,
    bounds: tuple[float | None, float | None] = (None, None),
) -> dict[str, float]:
    """Mean and interval over runs: ``{"mean", "ci_low", "ci_high", "n"}``.

    Without ``bounds``: the Student-t interval. With ``bounds=(0, 1)`` (a proportion-like
    metric: accuracy, ROC AUC, ...): the t-interval of the logits, mapped back, so it stays
    inside (0, 1) and is asymmetric near the ends (3 seeds at 0.25 / 0.95 / 0.99 would give a
    t-interval up to 1.76). With ``bounds=(0, None)`` (FID): the t-interval of the logs.
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
    to, back = _transform(bounds)
    z = to(arr)
    t = float(stats.t.ppf((1 + level) / 2, n - 1))
    half = t * float(z.std(ddof=1)) / math.sqrt(n)
    centre = float(z.mean())
    return {"mean": mean, "ci_low": float(back(centre - half)),
            "ci_high": float(back(centre + half)), "n": n}


def _transform(bounds: tuple[float | None, float | None]) -> tuple[Any, Any]:
    """The map to an unbounded scale and back: logit for (lo, hi), log for (lo, None)."""
    lo, hi = bounds
    if lo is not None and hi is not None:
        span, eps = hi - lo, 1e-6
        return (lambda x: _logit(np.clip((x - lo) / span, eps, 1 - eps)),
                lambda z: lo + span / (1 + math.exp(-z)))
    if lo is not None:
        return (lambda x: np.log(np.maximum(x - lo, 1e-12)), lambda z: lo + math.exp(z))
    return (lambda x: x, lambda z: z)


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


def format_mean_ci(entry: dict[str, float], digits: int = 3) -> str:
    """``0.812 [0.790, 0.830]`` (mean and interval), or the mean alone for one run."""
    if math.isnan(entry["mean"]):
        return "—"
    if math.isnan(entry["ci_low"]):
        return f"{entry['mean']:.{digits}f}"
    return (f"{entry['mean']:.{digits}f} [{entry['ci_low']:.{digits}f}, "
            f"{entry['ci_high']:.{digits}f}]")


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment of a family of p-values (Holm 1979), in the input order.

    The i-th smallest of m p-values is multiplied by ``m - i`` (0-based i), the running
    maximum is taken so the order is kept, and values are capped at 1. ``nan`` stays ``nan``
    and does not count towards m.
    """
    order = [i for i in sorted(range(len(p_values)), key=lambda i: p_values[i])
             if not math.isnan(p_values[i])]
    out = [float("nan")] * len(p_values)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * float(p_values[i])))
        out[i] = running
    return out
