"""Classification metrics, bootstrap intervals, paired comparisons, DeLong, plots."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from sklearn import metrics as skm

from ganlab.errors import ConfigError
from ganlab.metrics import (
    METRICS,
    batch_metrics,
    classification_metrics,
    confusion_matrix,
    delong_test,
    metrics_with_ci,
    paired_bootstrap,
    plot_confusion,
    plot_roc,
    plot_training_curves,
    pr_points,
    roc_points,
    youden_threshold,
)


def _scores(n: int = 400, seed: int = 0, signal: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    prob = np.round(np.clip(y * signal + rng.random(n) * (1 - signal), 0, 1), 2)  # with ties
    return y, prob


def _sklearn(y: np.ndarray, prob: np.ndarray, thr: float) -> dict[str, float]:
    pred = (prob >= thr).astype(int)
    tn, fp, fn, tp = skm.confusion_matrix(y, pred).ravel()
    return {
        "accuracy": skm.accuracy_score(y, pred),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred),
        "recall": skm.recall_score(y, pred),
        "specificity": tn / (tn + fp),
        "f1": skm.f1_score(y, pred),
        "roc_auc": skm.roc_auc_score(y, prob),
        "pr_auc": skm.average_precision_score(y, prob),
    }


@pytest.mark.parametrize("thr", [0.35, 0.5, 0.71])
def test_point_estimates_and_vectorised_metrics_agree_with_sklearn(thr: float) -> None:
    y, prob = _scores()
    want = _sklearn(y, prob, thr)
    got = classification_metrics(y, prob, threshold=thr)
    batch = batch_metrics(y[None], prob[None], threshold=thr)
    for m in METRICS:
        assert got[m] == pytest.approx(want[m], abs=1e-5), m
        assert batch[m][0] == pytest.approx(want[m], abs=1e-9), m


def test_confusion_matrix_layout_and_curves() -> None:
    y = np.array([0, 0, 0, 1, 1])
    prob = np.array([0.1, 0.6, 0.2, 0.7, 0.4])
    assert confusion_matrix(y, prob, threshold=0.5) == [[2, 1], [1, 1]]
    roc = roc_points(y, prob)
    assert roc["fpr"][0] == 0.0 and roc["tpr"][-1] == 1.0
    pr = pr_points(y, prob)
    assert len(pr["precision"]) == len(pr["recall"])


def test_bootstrap_ci_is_seeded_contains_the_value_and_is_fast() -> None:
    y, prob = _scores()
    metrics_with_ci(y, prob, n_boot=1)  # imports (torchmetrics, scipy) are not what is timed
    start = time.perf_counter()
    a = metrics_with_ci(y, prob, threshold=0.5, n_boot=1000, seed=0)
    assert time.perf_counter() - start < 2.0
    assert a == metrics_with_ci(y, prob, threshold=0.5, n_boot=1000, seed=0)
    assert a != metrics_with_ci(y, prob, threshold=0.5, n_boot=1000, seed=1)
    for m in METRICS:
        assert a[m]["ci_low"] < a[m]["value"] < a[m]["ci_high"], m
    # a CI for AUC on 400 samples: roughly +-1.96 * DeLong's standard error
    se = delong_test(y, prob, np.zeros_like(prob) + 0.5)["se"]
    width = a["roc_auc"]["ci_high"] - a["roc_auc"]["ci_low"]
    assert width == pytest.approx(2 * 1.96 * se, rel=0.25)


def test_ci_narrows_with_more_samples() -> None:
    small = metrics_with_ci(*_scores(100), n_boot=500)
    large = metrics_with_ci(*_scores(1600), n_boot=500)
    for m in ("accuracy", "roc_auc"):
        w_small = small[m]["ci_high"] - small[m]["ci_low"]
        w_large = large[m]["ci_high"] - large[m]["ci_low"]
        assert w_large < w_small / 2.5


def test_single_class_gives_nan_ranking_metrics() -> None:
    out = metrics_with_ci(np.ones(20, dtype=int), np.linspace(0, 1, 20), n_boot=50)
    assert np.isnan(out["roc_auc"]["value"]) and np.isnan(out["roc_auc"]["ci_low"])
    assert out["recall"]["value"] == pytest.approx(0.5)


def test_paired_bootstrap_detects_a_better_model_and_not_an_equal_one() -> None:
    y, good = _scores(signal=0.5)
    poor = np.random.default_rng(9).random(len(y))  # no signal
    same = paired_bootstrap(y, good, good, "roc_auc", n_boot=300)
    assert same["diff"] == 0 and same["ci_low"] == same["ci_high"] == 0
    assert same["p_value"] == 1.0
    better = paired_bootstrap(y, good, poor, "accuracy", n_boot=300)
    assert better["diff"] > 0.2 and better["ci_low"] > 0 and better["p_value"] < 0.01
    with pytest.raises(ConfigError, match="unknown metric"):
        paired_bootstrap(y, good, poor, "auc")


def test_one_seed_of_the_seed_paired_bootstrap_is_the_paired_bootstrap() -> None:
    from ganlab.metrics import seed_paired_bootstrap

    y, good = _scores(signal=0.5)
    poor = np.random.default_rng(9).random(len(y))
    one = paired_bootstrap(y, good, poor, "f1", threshold_a=0.4, n_boot=200, seed=3)
    seeds = seed_paired_bootstrap(y, [(good, 0.4)], [(poor, 0.5)], "f1", n_boot=200, seed=3)
    assert one == seeds


def test_roc_auc_is_sklearns_with_ties_and_nan_for_one_class() -> None:
    from ganlab.metrics import roc_auc

    y = np.array([0, 0, 1, 1, 0, 1, 1, 0])
    p = np.array([0.1, 0.4, 0.4, 0.8, 0.4, 0.9, 0.2, 0.2])  # ties across classes
    assert roc_auc(y, p) == pytest.approx(skm.roc_auc_score(y, p), abs=1e-12)
    assert classification_metrics(y, p)["roc_auc"] == roc_auc(y, p)
    assert np.isnan(roc_auc(np.ones(4, dtype=int), p[:4]))


def test_delong_matches_sklearn_aucs_and_detects_differences() -> None:
    y, a = _scores(signal=0.4)
    b = np.round(y * 0.1 + np.random.default_rng(5).random(len(y)) * 0.9, 2)
    out = delong_test(y, a, b)
    assert out["auc_a"] == pytest.approx(skm.roc_auc_score(y, a))
    assert out["auc_b"] == pytest.approx(skm.roc_auc_score(y, b))
    assert out["p_value"] < 1e-6
    assert delong_test(y, a, a)["p_value"] == 1.0
    # close models: not significant, and agrees in spirit with the paired bootstrap
    noise = np.random.default_rng(11).random(len(y)) * 0.6
    a2 = np.round(y * 0.4 + noise, 2)  # same labels, same signal, fresh noise
    close = delong_test(y, a, a2)
    boot = paired_bootstrap(y, a, a2, "roc_auc", n_boot=1000)
    assert close["p_value"] > 0.01
    assert boot["ci_low"] < close["diff"] < boot["ci_high"]


def test_youden_threshold_separates_a_separable_set() -> None:
    y = np.array([0, 0, 0, 1, 1, 1])
    prob = np.array([0.1, 0.3, 0.62, 0.64, 0.8, 0.9])
    thr = youden_threshold(y, prob)
    assert 0.62 < thr <= 0.64
    assert classification_metrics(y, prob, threshold=thr)["accuracy"] == 1.0
    assert youden_threshold(np.zeros(4, dtype=int), np.ones(4)) == 0.5


def test_plots_are_written(tmp_path: Path) -> None:
    y, prob = _scores(100)
    paths = [
        plot_roc({"val": (y, prob), "test": (y, prob[::-1])}, tmp_path / "roc.png"),
        plot_confusion([[40, 10], [5, 45]], ["benign", "malignant"], tmp_path / "cm.png"),
        plot_training_curves(
            [{"epoch": e, "train_loss": 1 / e, "val_loss": 1.2 / e, "val_roc_auc": 0.8}
             for e in (1, 2, 3)], tmp_path / "curves.png"),
    ]
    for p in paths:
        assert p.read_bytes()[:4] == b"\x89PNG" and p.stat().st_size > 5000
