"""Trivial floors: how much of a score needs no deep model at all.

* ``majority``: a constant score, the training share of the positive class (ROC-AUC 0.5).
* ``colour_histogram``: logistic regression (sklearn) on an 8x8x8 HSV colour histogram of each
  preprocessed image. On ISIC-style sets the acquisition source alone predicts the class well,
  and this floor shows it.

Both are fitted on the training split, thresholded on validation like the deep models, and
scored with the same metrics and bootstrap intervals on the same split. The colour-histogram
floor is saved as a classifier checkpoint (``floor_colour_histogram.pt``: its fitted numbers as
tensors, loadable with ``weights_only=True``), so ``ganlab classify eval`` scores it on new
images like any trained classifier.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor, nn

from ganlab.classify._checkpoint import FLOOR_KIND, filter_refs, save_classifier
from ganlab.classify._outputs import Scored, choose_threshold, score_sets, write_metrics

if TYPE_CHECKING:
    from ganlab.data import ImageSet, PreparedData

BINS = 8
FLOOR_FILE = "floor_colour_histogram.pt"


def colour_histograms(images: torch.Tensor, *, bins: int = BINS) -> np.ndarray:
    """Normalised ``bins**3`` HSV histograms of uint8 (N, 3, S, S) RGB images -> (N, bins**3)."""
    import cv2

    n = len(images)
    if n == 0:
        return np.zeros((0, bins**3))
    rgb = images.permute(0, 2, 3, 1).contiguous().numpy()  # (N, S, S, 3)
    s = rgb.shape[1]
    hsv = cv2.cvtColor(rgb.reshape(n * s, s, 3), cv2.COLOR_RGB2HSV).reshape(n, s * s, 3)
    scale = np.array([180, 256, 256]) / bins  # OpenCV hue is 0..179
    q = np.minimum((hsv / scale).astype(np.int64), bins - 1)
    codes = q[..., 0] * bins * bins + q[..., 1] * bins + q[..., 2]
    codes += np.arange(n)[:, None] * bins**3
    hist = np.bincount(codes.ravel(), minlength=n * bins**3).reshape(n, bins**3)
    return hist / (s * s)


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


class ColourHistogramFloor(nn.Module):
    """The fitted colour-histogram floor as a classifier: images in [-1, 1] -> (N, 2) logits.

    ``sqrt(histogram)``, standardised, through the logistic regression: the logits ``[0, z]``
    give ``softmax[1] = sigmoid(z)``, sklearn's ``predict_proba``. Not trainable.
    """

    def __init__(self, *, bins: int, mean: Tensor, scale: Tensor, coef: Tensor,
                 intercept: Tensor) -> None:
        super().__init__()
        self.bins = bins
        for name, value in (("mean", mean), ("scale", scale), ("coef", coef),
                            ("intercept", intercept)):
            self.register_buffer(name, value.to(torch.float64).reshape(-1))

    @classmethod
    def from_sklearn(cls, pipeline: Any, *, bins: int = BINS) -> ColourHistogramFloor:
        """From the fitted ``sqrt -> StandardScaler -> LogisticRegression`` pipeline."""
        scaler, lr = pipeline[1], pipeline[2]
        return cls(bins=bins, mean=torch.from_numpy(scaler.mean_),
                   scale=torch.from_numpy(scaler.scale_), coef=torch.from_numpy(lr.coef_[0]),
                   intercept=torch.from_numpy(lr.intercept_))

    @classmethod
    def from_state(cls, state: dict[str, Tensor], *, bins: int) -> ColourHistogramFloor:
        """Rebuild from a saved state dict."""
        return cls(bins=bins, **{k: state[k] for k in ("mean", "scale", "coef", "intercept")})

    def forward(self, x: Tensor) -> Tensor:
        """(N, 3, S, S) images in [-1, 1] (the classifiers' input) -> (N, 2) logits."""
        images = ((x.detach().float() + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)
        hist = torch.from_numpy(colour_histograms(images.cpu().contiguous(), bins=self.bins))
        z = ((hist.sqrt() - self.mean) / self.scale) @ self.coef + self.intercept
        return torch.stack([torch.zeros_like(z), z], 1).to(x.device)


def save_floor(path: Path, model: ColourHistogramFloor, data: PreparedData,
               threshold: dict[str, Any]) -> Path:
    """Save the colour-histogram floor as a checkpoint ``classify eval`` and ``predict`` load."""
    return save_classifier(path, model, {
        "kind": FLOOR_KIND, "bins": model.bins,
        "classifier": {"name": "colour_histogram", "bins": model.bins},
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
        hist = ColourHistogramFloor.from_sklearn(hist_model)
        path = save_floor(Path(out_dir) / FLOOR_FILE, hist, data,
                          results["colour_histogram"]["threshold"])
        results["colour_histogram"]["model"] = str(path)
        write_metrics(Path(out_dir) / "floors.json", {"protocol": protocol, **results})
    return results
