"""The colour-histogram classifier: a logistic regression on HSV colour histograms.

A classifier plugin like any other (entry point ``colour_histogram`` of ``ganlab.classifiers``):
``sqrt`` of an 8x8x8 HSV histogram of each image, standardised, through a linear layer. ganlab's
training loop can train it; ``classify floors`` fits it in closed form with scikit-learn (the
colour-histogram floor) and saves it as an ordinary classifier checkpoint, which
``load_classifier`` rebuilds through the registry.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ganlab.errors import PluginError

BINS = 8
NAME = "colour_histogram"  # its entry point in pyproject.toml (group ganlab.classifiers)


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


class ColourHistogramClassifier(nn.Module):
    """Images in [-1, 1] -> (N, 2) logits ``[0, z]``, ``z = ((sqrt(h) - mean) / scale) @ coef +
    intercept``: ``softmax[1] = sigmoid(z)``, a logistic regression's probability.

    ``coef`` and ``intercept`` are trainable; ``mean`` and ``scale`` (the standardisation) are
    buffers, set by :meth:`from_sklearn` (identity when built fresh).
    """

    def __init__(self, *, bins: int = BINS) -> None:
        super().__init__()
        self.bins = bins
        width = bins**3
        self.register_buffer("mean", torch.zeros(width, dtype=torch.float64))
        self.register_buffer("scale", torch.ones(width, dtype=torch.float64))
        self.coef = nn.Parameter(torch.zeros(width, dtype=torch.float64))
        self.intercept = nn.Parameter(torch.zeros(1, dtype=torch.float64))

    @classmethod
    def from_sklearn(cls, pipeline: Any, *, bins: int = BINS) -> ColourHistogramClassifier:
        """From a fitted ``sqrt -> StandardScaler -> LogisticRegression`` pipeline."""
        scaler, lr = pipeline[1], pipeline[2]
        model = cls(bins=bins)
        with torch.no_grad():
            for name, value in (("mean", scaler.mean_), ("scale", scaler.scale_),
                                ("coef", lr.coef_[0]), ("intercept", lr.intercept_)):
                getattr(model, name).copy_(torch.from_numpy(np.asarray(value, np.float64)))
        return model

    def forward(self, x: Tensor) -> Tensor:
        """(N, 3, S, S) images in [-1, 1] (the classifiers' input) -> (N, 2) logits."""
        images = ((x.detach().float() + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)
        hist = torch.from_numpy(colour_histograms(images.cpu().contiguous(), bins=self.bins))
        hist = hist.to(self.coef.device)
        z = ((hist.sqrt() - self.mean) / self.scale) @ self.coef + self.intercept
        return torch.stack([torch.zeros_like(z), z], 1)


def colour_histogram_classifier(
    *, num_classes: int, image_size: int, channels: int, bins: int = BINS
) -> nn.Module:
    """A logistic regression on ``bins**3`` HSV colour histograms (benign vs malignant).

    Args:
        num_classes: Must be 2 (one logistic regression).
        image_size: Any (a histogram does not depend on the side).
        channels: Must be 3 (RGB, converted to HSV).
        bins: Bins per HSV channel.
    """
    if num_classes != 2 or channels != 3:
        raise PluginError(f"classifier {NAME!r}: needs 2 classes and 3 (RGB) channels, got "
                          f"num_classes = {num_classes}, channels = {channels}")
    if not 2 <= bins <= 32:
        raise PluginError(f"classifier {NAME!r}: bins must be in [2, 32], got {bins}")
    del image_size
    return ColourHistogramClassifier(bins=bins)
