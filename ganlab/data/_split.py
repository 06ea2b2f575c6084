"""Leakage-aware splits: stratified, seeded train/val/test (or k-fold) over lesion groups.

Every lesion group (near-duplicates, byte-identical copies, manifest groups) lands on one side.
Fractions count images; a group takes the majority label of its images for stratification.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ganlab.errors import ConfigError, DataError


@dataclass
class Split:
    """Side of every image and, with k folds, the fold in which it is validation (else -1)."""

    side: list[str]
    fold: list[int]


def _group_table(labels: np.ndarray, groups: Sequence[int]) -> tuple[np.ndarray, np.ndarray,
                                                                     np.ndarray]:
    ids = np.asarray(groups)
    _, inverse = np.unique(ids, return_inverse=True)
    sizes = np.bincount(inverse)
    pos = np.bincount(inverse, weights=labels)
    group_label = (pos * 2 >= sizes).astype(np.int64)
    return inverse, sizes, group_label


def _target(fraction: float, n_images: int, n_groups: int) -> int:
    if fraction <= 0:
        return 0
    t = int(round(fraction * n_images))
    return max(t, 1) if n_groups >= 3 else t


def split_groups(
    labels: np.ndarray, groups: Sequence[int], *, val: float, test: float, seed: int
) -> Split:
    """Stratified group split into train/val/test with image fractions ``val`` and ``test``."""
    if val + test >= 1:
        raise ConfigError(
            f"data.split: val ({val}) + test ({test}) leaves no training images; keep the sum < 1"
        )
    labels = np.asarray(labels, dtype=np.int64)
    inverse, sizes, group_label = _group_table(labels, groups)
    rng = np.random.default_rng(seed)
    group_side = np.empty(len(sizes), dtype=object)
    for cls in (0, 1):
        members = np.flatnonzero(group_label == cls)
        members = members[rng.permutation(len(members))]
        n_img = int(sizes[members].sum())
        targets = {"test": _target(test, n_img, len(members)),
                   "val": _target(val, n_img, len(members))}
        filled = {"test": 0, "val": 0}
        for g in members:
            side = next((s for s in ("test", "val") if filled[s] < targets[s]), "train")
            if side != "train":
                filled[side] += int(sizes[g])
            group_side[g] = side
    side = [str(group_side[g]) for g in inverse]
    return Split(side, [-1] * len(side))


def split_folds(
    labels: np.ndarray, groups: Sequence[int], *, test: float, folds: int, seed: int
) -> Split:
    """A held-out test side, then stratified group k-fold over the rest."""
    from sklearn.model_selection import StratifiedGroupKFold

    base = split_groups(labels, groups, val=0.0, test=test, seed=seed)
    rest = np.array([i for i, s in enumerate(base.side) if s != "test"])
    rest_groups = np.asarray(groups)[rest]
    rest_labels = np.asarray(labels)[rest]
    for cls in (0, 1):
        n_groups = len(np.unique(rest_groups[rest_labels == cls]))
        if n_groups < folds:
            raise DataError(
                f"data.split.folds = {folds} but class {cls} has only {n_groups} lesion groups "
                "outside the test set; use fewer folds or more images."
            )
    fold = [-1] * len(base.side)
    cv = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for k, (_, val_idx) in enumerate(cv.split(rest, rest_labels, rest_groups)):
        for i in rest[val_idx]:
            fold[int(i)] = k
    side = ["test" if s == "test" else "train" for s in base.side]
    return Split(side, fold)


def sides_for_fold(split: Split, fold: int | None, folds: int) -> list[str]:
    """train/val/test of each image; with k folds, fold ``fold`` is the validation side."""
    if folds < 2:
        if fold not in (None, 0):
            raise ConfigError(f"fold={fold} given but data.split.folds is {folds}; set folds >= 2")
        return list(split.side)
    if fold is None:
        fold = 0
    if not 0 <= fold < folds:
        raise ConfigError(
            f"fold={fold} is out of range; data.split.folds = {folds} (0..{folds - 1})"
        )
    return [
        "test" if s == "test" else ("val" if f == fold else "train")
        for s, f in zip(split.side, split.fold, strict=True)
    ]


def manifest_csv(rows: Sequence[dict], *, with_fold: bool) -> str:
    """The split manifest: ``sample_id, path, label, group, split[, fold]``."""
    cols = ["sample_id", "path", "label", "group", "split"] + (["fold"] if with_fold else [])
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def read_manifest(text: str) -> dict[str, dict[str, str]]:
    """Rows of a split manifest keyed by sample id."""
    return {row["sample_id"]: row for row in csv.DictReader(io.StringIO(text))}
