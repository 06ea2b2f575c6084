"""Seed summaries, the seed-paired bootstrap and ensemble combination rules."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from ganlab.metrics import seed_paired_bootstrap
from ganlab.study import combine, holm, mean_ci, vote_weights


def test_mean_ci_is_the_student_t_interval() -> None:
    values = [0.80, 0.84, 0.79]
    out = mean_ci(values)
    half = stats.t.ppf(0.975, 2) * np.std(values, ddof=1) / math.sqrt(3)
    assert out["mean"] == pytest.approx(np.mean(values))
    assert out["ci_high"] - out["mean"] == pytest.approx(half)
    assert out["n"] == 3
    one = mean_ci([0.5, float("nan")])
    assert one["mean"] == 0.5 and math.isnan(one["ci_low"]) and one["n"] == 1


def test_bounded_interval_stays_inside_the_metric_range() -> None:
    values = [0.25, 0.95, 0.99]  # the spread that gave "roc_auc 0.756 ± 0.542"
    t = mean_ci(values)
    assert t["ci_high"] > 1  # the plain t-interval leaves [0, 1]
    out = mean_ci(values, bounds=(0.0, 1.0))
    assert 0 < out["ci_low"] < out["mean"] < out["ci_high"] < 1
    assert out["mean"] == pytest.approx(np.mean(values))
    # on the logit scale it is the t-interval of the logits
    z = np.log(np.array(values) / (1 - np.array(values)))
    half = stats.t.ppf(0.975, 2) * np.std(z, ddof=1) / math.sqrt(3)
    assert math.log(out["ci_high"] / (1 - out["ci_high"])) == pytest.approx(z.mean() + half)
    fid = mean_ci([10.0, 80.0, 200.0], bounds=(0.0, None))
    assert fid["ci_low"] > 0
    perfect = mean_ci([1.0, 1.0, 1.0], bounds=(0.0, 1.0))
    assert perfect["ci_low"] <= 1.0 and perfect["ci_high"] <= 1.0


def _toy(seed: int, n: int = 300, noise: float = 0.3):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    good = np.clip(y * 0.6 + 0.2 + rng.normal(0, noise, n), 0, 1)
    bad = np.clip(0.5 + rng.normal(0, noise, n), 0, 1)
    return y, good, bad


def test_seed_paired_bootstrap_finds_a_real_difference_and_no_fake_one() -> None:
    y, good, bad = _toy(0)
    runs_good = [(good, 0.5), (np.clip(good + 0.01, 0, 1), 0.5)]
    runs_bad = [(bad, 0.5), (np.clip(bad - 0.01, 0, 1), 0.5)]
    res = seed_paired_bootstrap(y, runs_good, runs_bad, "roc_auc", n_boot=300)
    assert res["diff"] > 0.2 and res["ci_low"] > 0 and res["p_value"] < 0.01
    same = seed_paired_bootstrap(y, runs_good, runs_good, "accuracy", n_boot=100)
    assert same["diff"] == 0 and same["ci_low"] == 0 == same["ci_high"]
    with pytest.raises(ValueError, match="same, non-zero number of seeds"):
        seed_paired_bootstrap(y, runs_good, runs_bad[:1], "f1")


def test_soft_and_weighted_voting() -> None:
    y, good, bad = _toy(1)
    val = np.stack([good, bad])
    p_val, p_test, fitted = combine("soft", val, y, val[:, :10])
    assert np.allclose(p_test, val[:, :10].mean(0)) and fitted["weights"] == [0.5, 0.5]
    w = vote_weights(val, y)
    assert w.sum() == pytest.approx(1) and w[0] > 0.8  # the informative member dominates
    _, p_test_w, _ = combine("weighted", val, y, val[:, :10])
    assert np.allclose(p_test_w, w @ val[:, :10])
    flat = vote_weights(np.full((2, len(y)), 0.5), y)  # nobody beats chance: equal weights
    assert np.allclose(flat, [0.5, 0.5])


def test_stacking_is_fitted_on_validation_only() -> None:
    y, good, bad = _toy(2)
    val = np.stack([good, bad])
    y_test, good_t, bad_t = _toy(3, n=120)
    test = np.stack([good_t, bad_t])
    _, p_test, fitted = combine("stacking", val, y, test)
    assert fitted["coef"][0] > 0.5 and abs(fitted["coef"][1]) < fitted["coef"][0] / 3
    # test labels play no part: the same test inputs give the same outputs
    _, p_again, _ = combine("stacking", val, y, test)
    assert np.array_equal(p_test, p_again)
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(y_test, p_test) > 0.85


def test_unknown_method_is_a_config_error() -> None:
    from ganlab.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown method 'median'"):
        combine("median", np.zeros((2, 4)), np.array([0, 1, 0, 1]), np.zeros((2, 4)))


def test_holm_steps_down_and_keeps_the_order() -> None:
    # sorted 0.01, 0.02, 0.04, 0.30 -> x4, x3, x2, x1 = 0.04, 0.06, 0.08, 0.30
    assert holm([0.04, 0.01, 0.30, 0.02]) == pytest.approx([0.08, 0.04, 0.30, 0.06])
    assert holm([0.5, 0.4]) == pytest.approx([0.8, 0.8])  # running maximum, capped order
    assert holm([0.9, 0.8]) == [1.0, 1.0]
    out = holm([float("nan"), 0.02])
    assert math.isnan(out[0]) and out[1] == pytest.approx(0.02)  # nan is not in the family
