"""Splits: deterministic, stratified, group-preserving; k-fold; manifest reuse."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ganlab.config import config_from_dict
from ganlab.data import prepare_data
from ganlab.data._split import sides_for_fold, split_folds, split_groups
from ganlab.errors import ConfigError, DataError


def _data(n: int = 400, seed: int = 0) -> tuple[np.ndarray, list[int]]:
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.45).astype(np.int64)
    groups = list(range(n))
    for i in range(0, min(60, n - 2), 3):  # up to 20 groups of three images of one label
        labels[i + 1] = labels[i + 2] = labels[i]
        groups[i + 1] = groups[i + 2] = groups[i]
    return labels, groups


def _group_sides(groups: list[int], sides: list[str]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for g, s in zip(groups, sides, strict=True):
        out.setdefault(g, set()).add(s)
    return out


def test_split_is_deterministic_stratified_and_grouped() -> None:
    labels, groups = _data()
    a = split_groups(labels, groups, val=0.15, test=0.2, seed=7)
    b = split_groups(labels, groups, val=0.15, test=0.2, seed=7)
    c = split_groups(labels, groups, val=0.15, test=0.2, seed=8)
    assert a.side == b.side and a.side != c.side
    assert all(len(s) == 1 for s in _group_sides(groups, a.side).values())
    sides = np.array(a.side)
    for cls in (0, 1):
        n_cls = (labels == cls).sum()
        for side, frac in (("test", 0.2), ("val", 0.15)):
            share = ((sides == side) & (labels == cls)).sum() / n_cls
            assert abs(share - frac) < 0.03, (cls, side, share)


def test_split_rejects_no_training_images() -> None:
    labels, groups = _data(20)
    with pytest.raises(ConfigError, match="no training images"):
        split_groups(labels, groups, val=0.5, test=0.5, seed=0)


def test_kfold_partitions_non_test_images() -> None:
    labels, groups = _data()
    split = split_folds(labels, groups, test=0.2, folds=4, seed=1)
    fold = np.array(split.fold)
    is_test = np.array(split.side) == "test"
    assert (fold[is_test] == -1).all()
    assert set(fold[~is_test]) == {0, 1, 2, 3}
    for k in range(4):
        sides = sides_for_fold(split, k, 4)
        assert all(len(s) == 1 for s in _group_sides(groups, sides).values())
        val = np.array(sides) == "val"
        assert (val == (fold == k)).all()
        assert 0.3 < labels[val].mean() < 0.6  # stratified
    with pytest.raises(ConfigError, match="out of range"):
        sides_for_fold(split, 4, 4)
    with pytest.raises(DataError, match="fewer folds"):
        split_folds(labels[:40], groups[:40], test=0.2, folds=20, seed=0)


def _cfg(root: Path, **split) -> object:
    return config_from_dict({"study": {"name": "s"}, "data": {
        "root": str(root), "image_size": 16, "workers": 1, "split": split}}).data


def test_manifest_is_written_reused_and_rewritten(synth_root: Path, tmp_path: Path) -> None:
    work = tmp_path / "study"
    first = prepare_data(_cfg(synth_root, seed=3), base_dir=tmp_path, work_dir=work)
    assert first.split_manifest == work / "split.csv"
    text = first.split_manifest.read_text()
    assert text.splitlines()[0] == "sample_id,path,label,group,split"
    assert len(text.splitlines()) == 41
    assert first.protocol["split"]["reused_manifest"] is False
    again = prepare_data(_cfg(synth_root, seed=3), base_dir=tmp_path, work_dir=work)
    assert again.protocol["split"]["reused_manifest"] is True
    assert again.test.ids == first.test.ids and again.val.ids == first.val.ids
    other = prepare_data(_cfg(synth_root, seed=4), base_dir=tmp_path, work_dir=work)
    assert other.protocol["split"]["reused_manifest"] is False
    assert other.test.ids != first.test.ids
    folds = prepare_data(_cfg(synth_root, folds=3, test=0.2), base_dir=tmp_path, work_dir=work,
                         fold=2)
    assert folds.split_manifest.read_text().splitlines()[0].endswith(",split,fold")
    assert folds.protocol["split"]["fold"] == 2
    assert len(folds.train) + len(folds.val) + len(folds.test) == 40
