"""Summaries over seeds: intervals inside each metric's range and a paired bootstrap.

Ablation cells and baselines are repeated over seeds on one fixed split, so every run scores
the same test samples. :func:`seed_paired_bootstrap` resamples those samples once per replicate
and averages ``metric(A_s) - metric(B_s)`` over the seeds ``s``: the seeds' variation and the
sampling of test cases both enter the interval.
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


def seed_paired_bootstrap(
    y: Any,
    runs_a: Sequence[tuple[Any, float]],
    runs_b: Sequence[tuple[Any, float]],
    metric: str,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, float]:
    """Paired bootstrap of ``mean_s metric(A_s) - metric(B_s)`` on the same test samples.

    Args:
        y: Labels of the shared test samples (n,).
        runs_a: Per seed, ``(probabilities (n,), threshold)`` of A; same seed order as B.
        runs_b: The same for B (the base).
        metric: A metric of :data:`ganlab.metrics.METRICS`.

    Returns:
        ``diff`` (on all samples), percentile ``ci_low``/``ci_high``, a two-sided bootstrap
        ``p_value`` and ``n_seeds``.
    """
    from ganlab.metrics import batch_metrics, classification_metrics

    if len(runs_a) != len(runs_b) or not runs_a:
        raise ValueError("need the same, non-zero number of seeds on both sides")
    y_arr = np.asarray(y, dtype=np.int64)
    diff = float(np.mean([
        classification_metrics(y_arr, pa, threshold=ta)[metric]
        - classification_metrics(y_arr, pb, threshold=tb)[metric]
        for (pa, ta), (pb, tb) in zip(runs_a, runs_b, strict=True)
    ]))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, y_arr.size, size=(n_boot, y_arr.size))
    ys = y_arr[idx]
    deltas = np.zeros(n_boot)
    for (pa, ta), (pb, tb) in zip(runs_a, runs_b, strict=True):
        pa_arr, pb_arr = np.asarray(pa, dtype=float), np.asarray(pb, dtype=float)
        ma = batch_metrics(ys, pa_arr[idx], threshold=ta)[metric]
        mb = batch_metrics(ys, pb_arr[idx], threshold=tb)[metric]
        deltas += (ma - mb) / len(runs_a)
    d = deltas[np.isfinite(deltas)]
    if d.size == 0:
        low = high = float("nan")
        p = 1.0
    else:
        alpha = (1 - level) / 2 * 100
        low, high = (float(v) for v in np.percentile(d, [alpha, 100 - alpha]))
        p = min(1.0, 2 * min(float(np.mean(d <= 0)), float(np.mean(d >= 0))))
    return {"metric": metric, "diff": diff, "ci_low": low, "ci_high": high, "p_value": p,
            "n_seeds": len(runs_a)}
