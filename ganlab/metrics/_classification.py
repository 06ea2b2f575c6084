"""Binary classification metrics with 95% bootstrap confidence intervals.

Point estimates and the bootstrap share one vectorised numpy implementation in float64 (1,000
resamples of ~400 samples take well under a second), which agrees with scikit-learn to float64
rounding; torchmetrics (float32 results) would tie near-saturated scores. A sample is predicted
positive when ``prob >= threshold``.

Also: the paired bootstrap comparison of two models (or of two sets of seeds) on the same
samples and DeLong's test for a difference of ROC-AUCs, for ablation and ensemble tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ganlab.errors import ConfigError

THRESHOLD_METRICS = (
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "specificity",
    "f1",
)
RANKING_METRICS = ("roc_auc", "pr_auc")
METRICS = THRESHOLD_METRICS + RANKING_METRICS
"""Every metric name, in report order. ``recall`` is the sensitivity."""

_MAX_BOOT_CELLS = 4_000_000  # resamples x samples evaluated per vectorised chunk


def _arrays(y: Any, prob: Any) -> tuple[np.ndarray, np.ndarray]:
    y_arr = np.ascontiguousarray(y, dtype=np.int64).reshape(-1)
    p_arr = np.ascontiguousarray(prob, dtype=np.float64).reshape(-1)
    if y_arr.shape != p_arr.shape:
        raise ValueError(f"labels ({y_arr.shape[0]}) and probabilities ({p_arr.shape[0]}) differ")
    if y_arr.size and not np.isin(y_arr, (0, 1)).all():
        raise ValueError("labels must be 0 or 1")
    return y_arr, p_arr


def classification_metrics(y: Any, prob: Any, *, threshold: float = 0.5) -> dict[str, float]:
    """Point estimates of every metric in :data:`METRICS`, in float64.

    The same code as the bootstrap (:func:`batch_metrics` on one row), so a point estimate and
    its resamples agree, and every value recomputes exactly (to float64 rounding) with
    scikit-learn from the probabilities. ROC-AUC and PR-AUC are ``nan`` when ``y`` holds a
    single class.
    """
    y_arr, p_arr = _arrays(y, prob)
    if y_arr.size == 0:
        return {m: float("nan") for m in METRICS}
    row = batch_metrics(y_arr[None], p_arr[None], threshold=threshold)
    return {m: float(row[m][0]) for m in METRICS}


def confusion_matrix(y: Any, prob: Any, *, threshold: float = 0.5) -> list[list[int]]:
    """``[[tn, fp], [fn, tp]]`` at ``threshold``."""
    import torch
    import torchmetrics.functional.classification as tmf

    y_arr, p_arr = _arrays(y, prob)
    hard = (torch.from_numpy(p_arr) >= threshold).long()
    cm = tmf.binary_confusion_matrix(hard, torch.from_numpy(y_arr))
    return [[int(v) for v in row] for row in cm.tolist()]


def roc_points(y: Any, prob: Any) -> dict[str, list[float]]:
    """ROC curve: ``fpr``, ``tpr`` and ``thresholds`` lists (torchmetrics ``binary_roc``)."""
    import torch
    import torchmetrics.functional.classification as tmf

    y_arr, p_arr = _arrays(y, prob)
    fpr, tpr, thr = tmf.binary_roc(torch.from_numpy(p_arr), torch.from_numpy(y_arr))
    return {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thr.tolist()}


def pr_points(y: Any, prob: Any) -> dict[str, list[float]]:
    """Precision-recall curve: ``precision``, ``recall`` and ``thresholds`` lists."""
    import torch
    import torchmetrics.functional.classification as tmf

    y_arr, p_arr = _arrays(y, prob)
    prec, rec, thr = tmf.binary_precision_recall_curve(
        torch.from_numpy(p_arr), torch.from_numpy(y_arr)
    )
    return {"precision": prec.tolist(), "recall": rec.tolist(), "thresholds": thr.tolist()}


# -- vectorised metrics on (B, n) resamples --------------------------------------------------
def _safe_div(num: np.ndarray, den: np.ndarray, fill: float = 0.0) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), fill)


def _batch_threshold_metrics(y: np.ndarray, pred: np.ndarray) -> dict[str, np.ndarray]:
    tp = (pred & (y == 1)).sum(1).astype(np.float64)
    fp = (pred & (y == 0)).sum(1).astype(np.float64)
    fn = (~pred & (y == 1)).sum(1).astype(np.float64)
    tn = (~pred & (y == 0)).sum(1).astype(np.float64)
    recall = _safe_div(tp, tp + fn)
    spec = _safe_div(tn, tn + fp)
    return {
        "accuracy": (tp + tn) / y.shape[1],
        "balanced_accuracy": (recall + spec) / 2,
        "precision": _safe_div(tp, tp + fp),
        "recall": recall,
        "specificity": spec,
        "f1": _safe_div(2 * tp, 2 * tp + fp + fn),
    }


def _batch_roc_auc(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Mann-Whitney AUC per row with average ranks for ties (equals the trapezoidal ROC-AUC)."""
    from scipy.stats import rankdata

    ranks = rankdata(p, axis=1)
    n_pos = y.sum(1).astype(np.float64)
    n_neg = y.shape[1] - n_pos
    u = (ranks * y).sum(1) - n_pos * (n_pos + 1) / 2
    return _safe_div(u, n_pos * n_neg, fill=np.nan)


def _batch_average_precision(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Step-wise average precision per row; tied scores form one threshold (as sklearn)."""
    order = np.argsort(-p, axis=1, kind="stable")
    s = np.take_along_axis(p, order, 1)
    t = np.take_along_axis(y, order, 1)
    n = p.shape[1]
    idx = np.arange(n)
    is_end = np.ones_like(s, dtype=bool)
    is_end[:, :-1] = s[:, :-1] != s[:, 1:]
    end = np.where(is_end, idx, n)
    end = np.minimum.accumulate(end[:, ::-1], axis=1)[:, ::-1]  # last index of each tie run
    precision_at = np.cumsum(t, axis=1) / (idx + 1)
    prec_end = np.take_along_axis(precision_at, end, 1)
    n_pos = t.sum(1).astype(np.float64)
    return _safe_div((prec_end * t).sum(1), n_pos, fill=np.nan)


def batch_metrics(y: np.ndarray, p: np.ndarray, *, threshold: float) -> dict[str, np.ndarray]:
    """Every metric for each row of ``(B, n)`` label and probability arrays."""
    out = _batch_threshold_metrics(y, p >= threshold)
    out["roc_auc"] = _batch_roc_auc(y, p)
    out["pr_auc"] = _batch_average_precision(y, p)
    return out


def _resample_indices(n: int, n_boot: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n))


def _chunks(n_boot: int, n: int) -> list[slice]:
    step = max(1, _MAX_BOOT_CELLS // max(n, 1))
    return [slice(i, min(i + step, n_boot)) for i in range(0, n_boot, step)]


def bootstrap_distribution(
    y: Any, prob: Any, *, threshold: float = 0.5, n_boot: int = 1000, seed: int = 0
) -> dict[str, np.ndarray]:
    """Each metric over ``n_boot`` seeded resamples (with replacement) of the samples."""
    y_arr, p_arr = _arrays(y, prob)
    if n_boot < 1:
        raise ConfigError(f"classifier.bootstrap: need at least 1 resample, got {n_boot}")
    idx = _resample_indices(y_arr.size, n_boot, seed)
    parts = [batch_metrics(y_arr[idx[c]], p_arr[idx[c]], threshold=threshold)
             for c in _chunks(n_boot, y_arr.size)]
    return {m: np.concatenate([part[m] for part in parts]) for m in METRICS}


def _percentile_ci(values: np.ndarray, level: float) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return float("nan"), float("nan")
    alpha = (1 - level) / 2 * 100
    low, high = np.percentile(finite, [alpha, 100 - alpha])
    return float(low), float(high)


def metrics_with_ci(
    y: Any,
    prob: Any,
    *,
    threshold: float = 0.5,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, dict[str, float]]:
    """``{metric: {"value", "ci_low", "ci_high"}}``: point estimate and percentile bootstrap CI.

    Resamples in which a ranking metric is undefined (one class only) are left out of its CI.
    With ``n_boot = 0`` the interval bounds are ``nan``.
    """
    point = classification_metrics(y, prob, threshold=threshold)
    if n_boot == 0:
        return {m: {"value": v, "ci_low": float("nan"), "ci_high": float("nan")}
                for m, v in point.items()}
    dist = bootstrap_distribution(y, prob, threshold=threshold, n_boot=n_boot, seed=seed)
    out: dict[str, dict[str, float]] = {}
    for m in METRICS:
        low, high = _percentile_ci(dist[m], level)
        out[m] = {"value": point[m], "ci_low": low, "ci_high": high}
    return out


def roc_auc(y: Any, prob: Any) -> float:
    """ROC-AUC as the Mann-Whitney statistic with average ranks for ties; ``nan`` for one class.

    The one ROC-AUC of ganlab: point estimates, bootstrap resamples and ensemble weights use it
    (it equals the trapezoidal area under the ROC curve, as sklearn's ``roc_auc_score``).
    """
    y_arr, p_arr = _arrays(y, prob)
    return float(_batch_roc_auc(y_arr[None], p_arr[None])[0])


def paired_bootstrap(
    y: Any,
    prob_a: Any,
    prob_b: Any,
    metric: str,
    *,
    threshold_a: float = 0.5,
    threshold_b: float = 0.5,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, float]:
    """Compare models A and B on the same samples: ``metric(A) - metric(B)``.

    :func:`seed_paired_bootstrap` with one run on each side. Returns ``diff`` (on all samples),
    its percentile CI (``ci_low``, ``ci_high``) and a two-sided bootstrap ``p_value`` for "no
    difference" (twice the smaller share of resampled differences on either side of 0).
    """
    return seed_paired_bootstrap(y, [(prob_a, threshold_a)], [(prob_b, threshold_b)], metric,
                                 n_boot=n_boot, seed=seed, level=level)


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

    Runs of several seeds on one fixed split score the same samples: each replicate resamples
    those samples once and averages the difference over the seeds ``s``, so the seeds'
    variation and the sampling of test cases both enter the interval.

    Args:
        y: Labels of the shared test samples (n,).
        runs_a: Per seed, ``(probabilities (n,), threshold)`` of A; same seed order as B.
        runs_b: The same for B (the base).
        metric: A metric of :data:`METRICS`.

    Returns:
        ``diff`` (on all samples), percentile ``ci_low``/``ci_high``, a two-sided bootstrap
        ``p_value``, ``n_boot`` (replicates with a finite difference) and ``n_seeds``.
    """
    if metric not in METRICS:
        raise ConfigError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
    if len(runs_a) != len(runs_b) or not runs_a:
        raise ValueError("need the same, non-zero number of seeds on both sides")
    y_arr = _arrays(y, runs_a[0][0])[0]
    pairs = []
    for (pa, ta), (pb, tb) in zip(runs_a, runs_b, strict=True):
        a, b = _arrays(y_arr, pa)[1], _arrays(y_arr, pb)[1]
        pairs.append((a, float(ta), b, float(tb)))
    diff = float(np.mean([classification_metrics(y_arr, a, threshold=ta)[metric]
                          - classification_metrics(y_arr, b, threshold=tb)[metric]
                          for a, ta, b, tb in pairs]))
    idx = _resample_indices(y_arr.size, n_boot, seed)
    deltas = []
    for c in _chunks(n_boot, y_arr.size):
        ys = y_arr[idx[c]]
        delta = np.zeros(len(ys))
        for a, ta, b, tb in pairs:
            delta += (batch_metrics(ys, a[idx[c]], threshold=ta)[metric]
                      - batch_metrics(ys, b[idx[c]], threshold=tb)[metric]) / len(pairs)
        deltas.append(delta)
    d = np.concatenate(deltas)
    d = d[np.isfinite(d)]
    low, high = _percentile_ci(d, level)
    p = min(1.0, 2 * min(float(np.mean(d <= 0)), float(np.mean(d >= 0)))) if d.size else 1.0
    return {"metric": metric, "diff": diff, "ci_low": low, "ci_high": high, "p_value": p,
            "n_boot": int(d.size), "n_seeds": len(pairs)}


def _midranks(x: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(x, axis=-1)


def delong_test(y: Any, prob_a: Any, prob_b: Any) -> dict[str, float]:
    """DeLong's test for two correlated ROC-AUCs (fast algorithm of Sun & Xu, 2014).

    Returns ``auc_a``, ``auc_b``, ``diff`` (a - b), its standard error ``se``, ``z`` and the
    two-sided ``p_value``.
    """
    from scipy.stats import norm

    y_arr, pa = _arrays(y, prob_a)
    _, pb = _arrays(y, prob_b)
    pos, neg = y_arr == 1, y_arr == 0
    m, n = int(pos.sum()), int(neg.sum())
    if m < 2 or n < 2:
        raise ValueError("DeLong's test needs at least two samples of each class")
    scores = np.stack([pa, pb])
    x, yv = scores[:, pos], scores[:, neg]
    tx, ty, tz = _midranks(x), _midranks(yv), _midranks(np.concatenate([x, yv], axis=1))
    aucs = (tz[:, :m].sum(1) / m - (m + 1) / 2) / n
    v01 = (tz[:, :m] - tx) / n
    v10 = 1.0 - (tz[:, m:] - ty) / m
    cov = np.cov(v01) / m + np.cov(v10) / n
    var = float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    diff = float(aucs[0] - aucs[1])
    if var <= 0:
        z, p = 0.0 if diff == 0 else float("inf"), 1.0 if diff == 0 else 0.0
    else:
        z = diff / np.sqrt(var)
        p = float(2 * norm.sf(abs(z)))
    return {"auc_a": float(aucs[0]), "auc_b": float(aucs[1]), "diff": diff,
            "se": float(np.sqrt(max(var, 0.0))), "z": float(z), "p_value": p}


def youden_threshold(y: Any, prob: Any) -> float:
    """The threshold maximising Youden's J = sensitivity + specificity - 1 (sklearn ROC curve).

    Falls back to 0.5 when ``y`` holds a single class.
    """
    from sklearn.metrics import roc_curve

    y_arr, p_arr = _arrays(y, prob)
    if not 0 < int(y_arr.sum()) < y_arr.size:
        return 0.5
    fpr, tpr, thr = roc_curve(y_arr, p_arr)
    best = int(np.argmax(tpr - fpr))
    return float(min(thr[best], 1.0))


def format_ci(entry: dict[str, float], digits: int = 3) -> str:
    """``0.912 [0.884, 0.937]`` for one ``{"value", "ci_low", "ci_high"}`` entry."""
    v, lo, hi = entry["value"], entry["ci_low"], entry["ci_high"]
    if np.isnan(lo):
        return f"{v:.{digits}f}"
    return f"{v:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"
