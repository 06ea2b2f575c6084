"""Precision, recall, density, coverage: the prdc reference package and closed-form cases."""

from __future__ import annotations

import numpy as np
import pytest

from ganlab.errors import DataError
from ganlab.metrics import knn_radii, per_class_prdc, prdc


@pytest.mark.parametrize("k", [1, 3, 5])
def test_agrees_with_the_prdc_reference_package(k: int, capsys) -> None:
    from prdc import compute_prdc

    rng = np.random.default_rng(k)
    real = rng.normal(size=(120, 8)).astype(np.float32)
    fake = (rng.normal(size=(90, 8)) * 1.3 + 0.4).astype(np.float32)
    want = compute_prdc(real, fake, nearest_k=k)
    got = prdc(real, fake, k=k)
    for name, value in want.items():
        assert got[name] == pytest.approx(float(value), abs=1e-12), name


def test_identical_sets_are_perfect_and_disjoint_sets_score_zero() -> None:
    rng = np.random.default_rng(0)
    real = rng.normal(size=(50, 4))
    same = prdc(real, real.copy(), k=3)
    assert (same["precision"], same["recall"], same["coverage"]) == (1.0, 1.0, 1.0)
    # each real ball holds itself and its k - 1 nearest (the k-th sits on the boundary); a
    # rounding difference can count a boundary point once in a while
    assert same["density"] == pytest.approx(1.0, abs=2 / (3 * 50))
    far = prdc(real, real + 100.0, k=3)
    assert far == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_one_image_repeated_has_no_recall_or_coverage() -> None:
    # a collapsed generator: every fake sample is the same real point; it is inside the real
    # manifold (precision 1) but covers only the neighbourhoods that contain that one point
    line = np.arange(20, dtype=np.float64)[:, None]  # real points 0..19 on a line
    fake = np.full((10, 1), 10.0)
    got = prdc(line, fake, k=3)  # inner real points: neighbours at 1, 1, 2, so radius 2
    assert got["precision"] == 1.0
    assert got["recall"] == pytest.approx(0.0)  # fake radius is 0: nothing is strictly inside
    # real points 9 and 11 (distance 1 < 2) and 10 itself (0 < 2) cover the fake point
    assert got["coverage"] == pytest.approx(3 / 20)
    assert got["density"] == pytest.approx(3 / 3)  # each fake lies in 3 real balls, / k


def test_knn_radii_exclude_the_point_itself() -> None:
    line = np.array([[0.0], [1.0], [3.0], [7.0]])
    assert knn_radii(line, 1).tolist() == [1.0, 1.0, 2.0, 4.0]
    assert knn_radii(line, 2).tolist() == [3.0, 2.0, 3.0, 6.0]


def test_per_class_scores_each_class_against_its_own_real_images() -> None:
    rng = np.random.default_rng(3)
    real = np.concatenate([rng.normal(0, 1, (40, 3)), rng.normal(20, 1, (40, 3))])
    real_y = np.repeat([0, 1], 40)
    fake = np.concatenate([rng.normal(0, 1, (30, 3)), rng.normal(0, 1, (30, 3))])
    fake_y = np.repeat([0, 1], 30)  # class 1 samples drawn where class 0 lives
    out = per_class_prdc(real, real_y, fake, fake_y, class_names=("benign", "malignant"), k=3)
    assert out["per_class"]["benign"]["precision"] > 0.8
    assert out["per_class"]["malignant"]["precision"] == 0.0
    assert out["per_class"]["malignant"]["n_real"] == 40
    assert out["per_class"]["malignant"]["n_fake"] == 30
    assert out["mean"]["coverage"] == pytest.approx(
        (out["per_class"]["benign"]["coverage"] + 0.0) / 2)


def test_too_few_samples_for_k_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="too few for k = 5"):
        prdc(np.zeros((5, 2)), np.ones((10, 2)), k=5)
