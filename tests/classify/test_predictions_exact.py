"""Every metrics.json value recomputes exactly, with scikit-learn, from predictions.csv."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn import metrics as skm

from ganlab.classify._outputs import Scored, score_sets, write_metrics, write_predictions
from ganlab.metrics import METRICS


def _read(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rows: dict[str, tuple[list[int], list[float]]] = {}
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            labels, probs = rows.setdefault(row["split"], ([], []))
            labels.append(int(row["label"]))
            probs.append(float(row["prob_positive"]))
    return {s: (np.array(y), np.array(p)) for s, (y, p) in rows.items()}


def _sklearn(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    hard = (p >= threshold).astype(int)
    tn, fp, fn, tp = skm.confusion_matrix(y, hard, labels=[0, 1]).ravel()
    return {
        "accuracy": skm.accuracy_score(y, hard),
        "balanced_accuracy": skm.balanced_accuracy_score(y, hard),
        "precision": skm.precision_score(y, hard, zero_division=0),
        "recall": skm.recall_score(y, hard, zero_division=0),
        "specificity": tn / (tn + fp),
        "f1": skm.f1_score(y, hard, zero_division=0),
        "roc_auc": skm.roc_auc_score(y, p),
        "pr_auc": skm.average_precision_score(y, p),
        "confusion_matrix": [[tn, fp], [fn, tp]],
    }


def assert_recomputes(run: Path) -> None:
    """Each metric and confusion matrix of ``run/metrics.json`` from ``run/predictions.csv``."""
    metrics = json.loads((run / "metrics.json").read_text())
    threshold = metrics["threshold"]["value"]
    splits = _read(run / "predictions.csv")
    assert splits, "predictions.csv is empty"
    for split, (y, p) in splits.items():
        expected = _sklearn(y, p, threshold)
        for name in METRICS:
            assert metrics[split][name]["value"] == pytest.approx(expected[name], abs=1e-12), (
                split, name)
        assert metrics["confusion_matrix"][split] == expected["confusion_matrix"]


def test_saturated_scores_recompute_exactly(tmp_path: Path) -> None:
    """Scores a hair apart near 1 (a saturated model): 6 decimals, or float32, would tie
    them and move ROC-AUC; the full-precision file does not."""
    rng = np.random.default_rng(0)
    n = 400
    y = rng.integers(0, 2, n)
    p = 1.0 - rng.random(n) * 1e-7 * (1.5 - y)  # all within 1.5e-7 of 1
    sets = [Scored("val", [str(i) for i in range(n)], ["x"] * n, y, p),
            Scored("test", [str(i) for i in range(n)], ["x"] * n, y[::-1].copy(), p)]
    threshold = float(np.median(p))
    scores = score_sets(sets, threshold=threshold, n_boot=20, seed=0)
    write_metrics(tmp_path / "metrics.json", {"threshold": {"value": threshold}, **scores})
    write_predictions(tmp_path / "predictions.csv", sets)
    assert_recomputes(tmp_path)
    rounded = np.round(p, 6)
    assert skm.roc_auc_score(y, rounded) != pytest.approx(skm.roc_auc_score(y, p), abs=1e-3)
