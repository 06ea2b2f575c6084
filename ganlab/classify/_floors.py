"""Trivial floors: how much of a score needs no deep model at all.

* ``majority``: a constant score, the training share of the positive class (ROC-AUC 0.5).
* ``colour_histogram``: logistic regression (sklearn) on an 8x8x8 HSV colour histogram of each
  preprocessed image. On ISIC-style sets the acquisition source alone predicts the class well,
  and this floor shows it.

Both are fitted on the training split, thresholded on validation like the deep models, and
scored with the same metrics and bootstrap intervals on the same split. The colour-histogram
floor is the ``colour_histogram`` classifier plugin fitted in closed form, saved as an ordinary
classifier checkpoint (``floor_colour_histogram.pt``), so ``ganlab classify eval`` scores it on
new images like any trained classifier.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ganlab.classify._checkpoint import filter_refs, save_classifier
from ganlab.classify._histogram import (
    BINS,
    NAME,
    ColourHistogramClassifier,
    colour_histograms,
)
from ganlab.classify._outputs import Scored, choose_threshold, score_sets, write_metrics

if TYPE_CHECKING:
    from ganlab.data import ImageSet, PreparedData

FLOOR_FILE = "floor_colour_histogram.pt"


def _fit_histogram_lr(train: ImageSet, seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    model = make_pipeline(
        FunctionTransformer(np.sqrt),  # Hellinger-style: tames dominant bins
        StandardScaler(),
        LogisticRegression(C=0.1, max_iter=5000, random_state=seed),
    )
    return model.fit(colour_histograms(train.images), train.labels.numpy())


def save_floor(path: Path, model: ColourHistogramClassifier, data: PreparedData,
               threshold: dict[str, Any]) -> Path:
    """Save the fitted floor as the classifier checkpoint ``classify eval`` and ``predict`` load
    (the ``colour_histogram`` classifier plugin, rebuilt through the registry)."""
    return save_classifier(path, model, {
        "classifier": {"name": NAME, "bins": model.bins},
        "num_classes": 2, "image_size": int(data.train.images.shape[-1]), "channels": 3,
        "class_names": list(data.class_names), "filters": filter_refs(data.protocol),
        "threshold": threshold, "tta": False,
    })


def trivial_floors(
    data: PreparedData,
    *,
    seed: int = 0,
    n_boot: int = 1000,
    threshold: str = "youden",
    fixed_threshold: float = 0.5,
    out_dir: Path | None = None,
) -> dict[str, dict[str, Any]]:
    """Score the two floors on ``data`` (a PreparedData) -> ``{floor: metrics}``.

    Each floor's metrics have the layout of ``metrics.json``; with ``out_dir`` they are also
    written to ``floors.json``, and the colour-histogram floor is saved as a classifier
    checkpoint (its path under the floor's ``"model"`` key).
    """
    prior = float(data.train.labels.float().mean())
    hist_model = _fit_histogram_lr(data.train, seed)
    results: dict[str, dict[str, Any]] = {}
    for name in ("majority", "colour_histogram"):
        sets = []
        for split in ("val", "test"):
            s = getattr(data, split)
            if name == "majority":
                prob = np.full(len(s.labels), prior)
            else:
                prob = hist_model.predict_proba(colour_histograms(s.images))[:, 1]
            sets.append(Scored(split, list(s.ids), list(s.paths),
                               s.labels.numpy().astype(np.int64), prob))
        if name == "majority":  # a constant score: predict the majority class
            thr = {"method": "majority", "value": 0.0 if prior >= 0.5 else 1.0 + 1e-9}
        else:
            thr = choose_threshold(threshold, fixed_threshold, sets[0])
        scores = score_sets(sets, threshold=thr["value"], n_boot=n_boot, seed=seed)
        results[name] = {"threshold": thr, **scores}
    if out_dir is not None:
        protocol = {"data": data.protocol, "seed": seed, "bootstrap": n_boot,
                    "colour_histogram": f"{BINS}x{BINS}x{BINS} HSV, sqrt, logistic regression"}
        hist = ColourHistogramClassifier.from_sklearn(hist_model)
        path = save_floor(Path(out_dir) / FLOOR_FILE, hist, data,
                          results["colour_histogram"]["threshold"])
        results["colour_histogram"]["model"] = str(path)
        write_metrics(Path(out_dir) / "floors.json", {"protocol": protocol, **results})
    return results
