"""The embedded synthetic set: deterministic, labelled, extendable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ganlab.data import synthesize
from ganlab.data._synth import draw_lesion
from ganlab.errors import DataError


def _bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.png"))}


def test_same_seed_same_files(tmp_path: Path) -> None:
    assert synthesize(tmp_path / "a", 9, seed=5, image_size=32) == {"benign": 5, "malignant": 4}
    synthesize(tmp_path / "b", 9, seed=5, image_size=32)
    synthesize(tmp_path / "c", 9, seed=6, image_size=32)
    synthesize(tmp_path / "d", 12, seed=5, image_size=32)
    a, b, c, d = (_bytes(tmp_path / x) for x in "abcd")
    assert a == b and a != c
    assert all(d[k] == v for k, v in a.items())  # a larger n extends the same set


def test_classes_differ_after_abcd(tmp_path: Path) -> None:
    """Malignant lesions are darker and more varied in colour than benign ones on average."""
    benign = [draw_lesion(0, i, 64)[0] for i in range(0, 40, 2)]
    malignant = [draw_lesion(0, i, 64)[0] for i in range(1, 40, 2)]
    centre = slice(20, 44)
    dark_b = np.mean([im[centre, centre].mean() for im in benign])
    dark_m = np.mean([im[centre, centre].mean() for im in malignant])
    assert dark_m < dark_b
    spread_b = np.mean([im[centre, centre].reshape(-1, 3).std(0).mean() for im in benign])
    spread_m = np.mean([im[centre, centre].reshape(-1, 3).std(0).mean() for im in malignant])
    assert spread_m > spread_b


def test_refuses_existing_set(tmp_path: Path) -> None:
    synthesize(tmp_path, 2, image_size=16)
    with pytest.raises(DataError, match="already holds"):
        synthesize(tmp_path, 2, image_size=16)
    with pytest.raises(DataError, match="at least 2"):
        synthesize(tmp_path / "x", 1)


@pytest.mark.slow
def test_difficulty_makes_the_classes_overlap() -> None:
    """A colour-histogram floor separates difficulty 0 far better than difficulty 0.9."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import cross_val_predict

    def auc(difficulty: float) -> float:
        feats, labels = [], []
        for i in range(160):
            rgb, label = draw_lesion(0, i, 32, difficulty)
            hist, _ = np.histogramdd(rgb.reshape(-1, 3), bins=(4, 4, 4), range=[(0, 256)] * 3)
            feats.append(np.log1p(hist.ravel()))
            labels.append(label)
        prob = cross_val_predict(LogisticRegression(max_iter=2000), np.array(feats),
                                 np.array(labels), cv=4, method="predict_proba")[:, 1]
        return roc_auc_score(labels, prob)

    easy, hard = auc(0.0), auc(0.9)
    assert easy > 0.9
    assert hard < easy - 0.2


def test_settings_of_an_existing_set_are_checked(tmp_path: Path) -> None:
    from ganlab.data._prepare import ensure_synthetic
    from ganlab.errors import DataError

    root = tmp_path / "synth"
    assert ensure_synthetic(root, n=6, seed=0, image_size=16, difficulty=0.5)
    assert not ensure_synthetic(root, n=6, seed=0, image_size=16, difficulty=0.5)
    with pytest.raises(DataError, match="delete"):
        ensure_synthetic(root, n=6, seed=0, image_size=16, difficulty=0.2)
