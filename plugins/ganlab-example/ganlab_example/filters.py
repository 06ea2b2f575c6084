"""The ``sharpen`` filter: an unsharp mask on uint8 RGB images."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np


def sharpen(*, amount: float = 1.0, sigma: float = 1.0) -> Callable[[np.ndarray], np.ndarray]:
    """Unsharp mask: image + amount * (image - GaussianBlur(image, sigma)).

    Args:
        amount: Strength of the sharpening (0 leaves the image unchanged).
        sigma: Standard deviation of the Gaussian blur, in pixels.
    """
    if amount < 0 or sigma <= 0:
        raise ValueError(f"sharpen needs amount >= 0 and sigma > 0, got {amount}, {sigma}")

    def apply(image: np.ndarray) -> np.ndarray:
        blurred = cv2.GaussianBlur(image, (0, 0), sigmaX=sigma)
        return cv2.addWeighted(image, 1.0 + amount, blurred, -amount, 0)

    return apply


sharpen.search_space = {
    "amount": {"type": "float", "low": 0.0, "high": 2.0},
    "sigma": {"type": "float", "low": 0.5, "high": 3.0, "log": True},
}
