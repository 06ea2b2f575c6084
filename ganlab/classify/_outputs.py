"""Scoring of prediction sets and the files every run writes.

``metrics.json``: ``{"protocol", "threshold": {"method", "value"}, "<split>": {metric: {"value",
"ci_low", "ci_high"}}, "confusion_matrix": {"<split>": [[tn, fp], [fn, tp]]}}`` (NaN is written
as null). ``predictions.csv``: ``sample_id, path, label, prob_positive, split``, probabilities at
full precision (``repr(float)``).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ganlab.classify._checkpoint import plain
from ganlab.io import atomic_write_json, atomic_write_text
from ganlab.metrics import (
    confusion_matrix,
    metrics_with_ci,
    plot_confusion,
    plot_roc,
    plot_training_curves,
    youden_threshold,
)


@dataclass
class Scored:
    """Predicted positive-class probabilities of one split, with the samples' identity."""

    split: str
    ids: Sequence[str]
    paths: Sequence[str]
    labels: np.ndarray
    prob: np.ndarray


def choose_threshold(method: str, fixed: float, val: Scored) -> dict[str, Any]:
    """``{"method", "value"}``: Youden's J on validation, or the fixed threshold."""
    if method == "youden":
        return {"method": "youden", "value": youden_threshold(val.labels, val.prob),
                "chosen_on": val.split}
    return {"method": "fixed", "value": float(fixed)}


def _nan_to_none(obj: Any) -> Any:
    if isinstance(obj, float) and math.isnan(obj):
        return None
    if isinstance(obj, dict):
        return {k: _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_nan_to_none(v) for v in obj]
    return obj


def score_sets(
    sets: Sequence[Scored], *, threshold: float, n_boot: int, seed: int
) -> dict[str, Any]:
    """Metrics with CIs and confusion matrices of each split at ``threshold``."""
    out: dict[str, Any] = {"confusion_matrix": {}}
    for s in sets:
        out[s.split] = metrics_with_ci(s.labels, s.prob, threshold=threshold, n_boot=n_boot,
                                       seed=seed)
        out["confusion_matrix"][s.split] = confusion_matrix(s.labels, s.prob,
                                                            threshold=threshold)
    return out


def write_predictions(path: Path, sets: Sequence[Scored]) -> Path:
    """``predictions.csv`` with one row per sample of every split."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["sample_id", "path", "label", "prob_positive", "split"])
    for s in sets:
        for sid, p, y, prob in zip(s.ids, s.paths, s.labels, s.prob, strict=True):
            # repr: the shortest text that reads back as the same float, so every metric
            # recomputes exactly from this file
            writer.writerow([sid, p, int(y), repr(float(prob)), s.split])
    return atomic_write_text(path, buf.getvalue())


def write_metrics(path: Path, metrics: Mapping[str, Any]) -> Path:
    """``metrics.json`` (JSON-clean: NaN becomes null)."""
    return atomic_write_json(path, _nan_to_none(plain(dict(metrics))))


def write_plots(
    out_dir: Path,
    sets: Sequence[Scored],
    metrics: Mapping[str, Any],
    class_names: Sequence[str],
    *,
    history: Sequence[Mapping[str, float]] = (),
    monitor: str = "roc_auc",
) -> list[Path]:
    """ROC curve of every split, confusion matrix of the last split, training curves."""
    plots = []
    curves = {s.split: (s.labels, s.prob) for s in sets if 0 < s.labels.sum() < len(s.labels)}
    if curves:
        plots.append(plot_roc(curves, out_dir / "roc.png"))
    last = sets[-1].split
    plots.append(plot_confusion(metrics["confusion_matrix"][last], class_names,
                                out_dir / f"confusion_{last}.png",
                                title=f"Confusion matrix ({last})"))
    if history:
        plots.append(plot_training_curves(history, out_dir / "training_curves.png",
                                          monitor=monitor))
    return plots
