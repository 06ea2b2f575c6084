"""Precision, recall, density and coverage of generated samples in a feature space.

Precision and recall are those of Kynkäänniemi et al. 2019 (k-nearest-neighbour manifolds);
density and coverage those of Naeem et al. 2020. The definitions follow the reference code of
Naeem et al. (the ``prdc`` package) exactly: a sample's radius is the distance to its k-th
nearest neighbour in its own set (itself excluded), and a point lies in a manifold when it is
strictly closer than the radius of some sample of it.

* precision: share of fake samples inside the real manifold (fidelity);
* recall: share of real samples inside the fake manifold (diversity);
* density: mean count of real neighbourhoods each fake sample lies in, divided by k
  (can exceed 1; about 1 when fake and real come from one distribution);
* coverage: share of real samples whose neighbourhood holds at least one fake sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ganlab.errors import DataError

PRDC_NAMES = ("precision", "recall", "density", "coverage")


def _distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    from sklearn.metrics import pairwise_distances

    return pairwise_distances(x, y, metric="euclidean")


def knn_radii(features: np.ndarray, k: int) -> np.ndarray:
    """Distance of every row to its ``k``-th nearest other row (the row itself excluded)."""
    d = _distances(features, features)
    return np.partition(d, k, axis=1)[:, k]  # column 0 of the sorted row is the row itself


def prdc(real: np.ndarray, fake: np.ndarray, *, k: int = 5) -> dict[str, float]:
    """Precision, recall, density and coverage of ``fake`` against ``real`` features (N, D).

    Raises:
        DataError: when a set has ``k`` rows or fewer (no k-th neighbour exists).
    """
    real, fake = np.asarray(real, dtype=np.float64), np.asarray(fake, dtype=np.float64)
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"expected two (N, D) arrays of one D, got {real.shape}, {fake.shape}")
    for name, arr in (("real", real), ("fake", fake)):
        if arr.shape[0] <= k:
            raise DataError(
                f"{arr.shape[0]} {name} samples are too few for k = {k} nearest neighbours; "
                f"use more samples or a smaller k"
            )
    real_r, fake_r = knn_radii(real, k), knn_radii(fake, k)
    d = _distances(real, fake)  # (n_real, n_fake)
    inside_real = d < real_r[:, None]
    return {
        "precision": float(inside_real.any(axis=0).mean()),
        "recall": float((d < fake_r[None, :]).any(axis=1).mean()),
        "density": float(inside_real.sum(axis=0).mean() / k),
        "coverage": float((d.min(axis=1) < real_r).mean()),
    }


def per_class_prdc(
    real: np.ndarray,
    real_labels: Sequence[int] | np.ndarray,
    fake: np.ndarray,
    fake_labels: Sequence[int] | np.ndarray,
    *,
    class_names: Sequence[str],
    k: int = 5,
) -> dict[str, Any]:
    """:func:`prdc` within each class, and the unweighted mean over classes.

    Returns:
        ``{"per_class": {name: {"precision": ..., ..., "n_real": .., "n_fake": ..}},
        "mean": {"precision": ..., ...}}``.
    """
    real_labels, fake_labels = np.asarray(real_labels), np.asarray(fake_labels)
    per_class: dict[str, dict[str, float]] = {}
    for label, name in enumerate(class_names):
        r, f = real[real_labels == label], fake[fake_labels == label]
        scores: dict[str, Any] = prdc(r, f, k=k)
        scores.update(n_real=int(len(r)), n_fake=int(len(f)))
        per_class[name] = scores
    mean = {m: float(np.mean([c[m] for c in per_class.values()])) for m in PRDC_NAMES}
    return {"per_class": per_class, "mean": mean}
