"""Using a trained classifier on new images: score a class-per-folder set, or predict files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganlab.classify._checkpoint import load_for_scoring
from ganlab.classify._loop import positive_probability, predict_logits
from ganlab.classify._outputs import (
    Scored,
    score_sets,
    write_metrics,
    write_plots,
    write_predictions,
)
from ganlab.data import build_filter_steps, decode_file, load_image_folder, run_steps
from ganlab.errors import DataError


@dataclass
class Prediction:
    """One image's positive-class probability and predicted class."""

    path: str
    prob_positive: float
    predicted: str


def evaluate_folder(
    checkpoint: str | Path,
    root: str | Path,
    *,
    out_dir: str | Path,
    device: torch.device | str = "cpu",
    n_boot: int = 1000,
    seed: int = 0,
    tta: bool | str | None = None,
) -> dict[str, Any]:
    """Score a trained classifier on a class-per-folder image set it never saw.

    The images go through the checkpoint's own filter chain and size; the decision threshold is
    the one chosen on validation at training time; ``tta`` (False, ``"flips"``, ``"dihedral"``)
    replaces the checkpoint's test-time views when given. Writes ``metrics.json`` (split ``test``),
    ``predictions.csv`` and plots to ``out_dir`` and returns the metrics.
    """
    device = torch.device(device)
    model, meta = load_for_scoring(checkpoint, device=device)
    class_names = tuple(meta["class_names"])
    images = load_image_folder(Path(root), filters=meta["filters"],
                               image_size=int(meta["image_size"]), positive_class=class_names[1])
    if tuple(images.class_names) != class_names:
        raise DataError(
            f"{root}: class folders {tuple(images.class_names)} differ from the classes the "
            f"model was trained on {class_names}; name the folders {' and '.join(class_names)}"
        )
    views = (meta.get("tta") or False) if tta is None else tta
    logits = predict_logits(model, images.images, device=device, tta=views)
    scored = Scored("test", list(images.ids), list(images.paths),
                    images.labels.numpy().astype(np.int64), positive_probability(logits))
    threshold = dict(meta["threshold"])
    scores = score_sets([scored], threshold=threshold["value"], n_boot=n_boot, seed=seed)
    protocol = {"checkpoint": str(checkpoint), "data_root": str(root), "n": len(images),
                "counts": images.counts(), "classifier": meta["classifier"],
                "filters": meta["filters"], "image_size": meta["image_size"], "seed": seed,
                "bootstrap": n_boot, "tta": views}
    metrics = {"protocol": protocol, "threshold": threshold, **scores}
    out = Path(out_dir)
    write_metrics(out / "metrics.json", metrics)
    write_predictions(out / "predictions.csv", [scored])
    metrics["plots"] = [str(p) for p in write_plots(out, [scored], scores, class_names)]
    return metrics


def _load_image(path: str, steps: Any, size: int) -> np.ndarray:
    import cv2

    decoded, _ = decode_file(path)
    if decoded.rgb is None:
        raise DataError(f"{path}: cannot be used as an image ({decoded.skipped})")
    image = run_steps(steps, decoded.rgb)
    if image.shape[:2] != (size, size):
        image = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(image.transpose(2, 0, 1))


def predict_images(
    checkpoint: str | Path,
    paths: Sequence[str | Path],
    *,
    device: torch.device | str = "cpu",
) -> list[Prediction]:
    """Positive-class probability and predicted class of each image file."""
    device = torch.device(device)
    model, meta = load_for_scoring(checkpoint, device=device)
    steps = build_filter_steps(meta["filters"])
    size = int(meta["image_size"])
    missing = [str(p) for p in paths if not Path(p).is_file()]
    if missing:
        raise DataError(f"no such image file: {', '.join(missing)}")
    batch = torch.from_numpy(np.stack([_load_image(str(p), steps, size) for p in paths]))
    prob = positive_probability(
        predict_logits(model, batch, device=device, tta=meta.get("tta") or False)
    )
    thr = float(meta["threshold"]["value"])
    names = meta["class_names"]
    return [Prediction(str(p), float(q), names[int(q >= thr)]) for p, q in zip(paths, prob,
                                                                               strict=True)]
