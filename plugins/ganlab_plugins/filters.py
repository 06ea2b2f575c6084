"""Built-in preprocessing filters: factories returning ``uint8 (H, W, 3) RGB -> uint8`` callables.

Defaults follow Mutepfe et al. 2021 where the paper sets them (bilateral d=9, sigma 75/75;
gamma 1.5). Each factory declares ``search_space`` in the format of ``ganlab.registry``.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

Filter = Callable[[np.ndarray], np.ndarray]

_INTERPOLATIONS = {
    "area": cv2.INTER_AREA,
    "linear": cv2.INTER_LINEAR,
    "cubic": cv2.INTER_CUBIC,
    "nearest": cv2.INTER_NEAREST,
    "lanczos": cv2.INTER_LANCZOS4,
}


def _odd(name: str, value: int, low: int = 1) -> int:
    if int(value) != value or value < low or value % 2 == 0:
        raise ValueError(f"{name} must be an odd integer >= {low}, got {value!r}")
    return int(value)


def _positive(name: str, value: float) -> float:
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return float(value)


def bilateral(*, d: int = 9, sigma_color: float = 75.0, sigma_space: float = 75.0) -> Filter:
    """Edge-preserving bilateral smoothing (OpenCV), the paper's denoising step."""
    if int(d) != d or d < 1:
        raise ValueError(f"d must be a positive integer, got {d!r}")
    sc, ss = _positive("sigma_color", sigma_color), _positive("sigma_space", sigma_space)

    def apply(image: np.ndarray) -> np.ndarray:
        return cv2.bilateralFilter(image, int(d), sc, ss)

    return apply


bilateral.search_space = {
    "d": {"type": "int", "low": 3, "high": 15, "step": 2},
    "sigma_color": {"type": "float", "low": 10.0, "high": 150.0},
    "sigma_space": {"type": "float", "low": 10.0, "high": 150.0},
}


def gamma(*, gamma: float = 1.5) -> Filter:
    """Gamma correction O = 255 (I / 255)^(1 / gamma) through a lookup table (cv2.LUT)."""
    g = _positive("gamma", gamma)
    table = np.clip(np.round(255.0 * (np.arange(256) / 255.0) ** (1.0 / g)), 0, 255)
    lut = table.astype(np.uint8)

    def apply(image: np.ndarray) -> np.ndarray:
        return cv2.LUT(image, lut)

    return apply


gamma.search_space = {"gamma": {"type": "float", "low": 0.5, "high": 2.5}}


def gaussian(*, ksize: int = 5, sigma: float = 0.0) -> Filter:
    """Gaussian blur; ``sigma = 0`` derives it from ``ksize`` as OpenCV does."""
    k = _odd("ksize", ksize)
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0, got {sigma!r}")

    def apply(image: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(image, (k, k), float(sigma))

    return apply


gaussian.search_space = {"ksize": {"type": "int", "low": 3, "high": 9, "step": 2}}


def median(*, ksize: int = 5) -> Filter:
    """Median blur (salt-and-pepper noise, fine hairs)."""
    k = _odd("ksize", ksize, low=3)

    def apply(image: np.ndarray) -> np.ndarray:
        return cv2.medianBlur(image, k)

    return apply


median.search_space = {"ksize": {"type": "int", "low": 3, "high": 9, "step": 2}}


def clahe(*, clip_limit: float = 2.0, tile_grid: int = 8) -> Filter:
    """Contrast-limited adaptive histogram equalisation of the L channel (CIELAB)."""
    clip = _positive("clip_limit", clip_limit)
    if int(tile_grid) != tile_grid or tile_grid < 1:
        raise ValueError(f"tile_grid must be a positive integer, got {tile_grid!r}")
    op = cv2.createCLAHE(clipLimit=clip, tileGridSize=(int(tile_grid), int(tile_grid)))

    def apply(image: np.ndarray) -> np.ndarray:
        lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB)
        lab[..., 0] = op.apply(np.ascontiguousarray(lab[..., 0]))
        return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)

    return apply


clahe.search_space = {
    "clip_limit": {"type": "float", "low": 1.0, "high": 4.0},
    "tile_grid": {"type": "int", "low": 4, "high": 16, "step": 4},
}


def hair_removal(*, kernel_size: int = 17, threshold: int = 10, inpaint_radius: int = 3) -> Filter:
    """DullRazor-style hair removal: black-hat on grey, threshold, then Telea inpainting."""
    k = _odd("kernel_size", kernel_size, low=3)
    if not 0 <= threshold <= 255:
        raise ValueError(f"threshold must be in 0..255, got {threshold!r}")
    if int(inpaint_radius) != inpaint_radius or inpaint_radius < 1:
        raise ValueError(f"inpaint_radius must be a positive integer, got {inpaint_radius!r}")
    kernel = cv2.getStructuringElement(cv2.MORPH_CROSS, (k, k))

    def apply(image: np.ndarray) -> np.ndarray:
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        blackhat = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, kernel)
        blurred = cv2.GaussianBlur(blackhat, (3, 3), 0)
        _, mask = cv2.threshold(blurred, float(threshold), 255, cv2.THRESH_BINARY)
        return cv2.inpaint(image, mask, int(inpaint_radius), cv2.INPAINT_TELEA)

    return apply


hair_removal.search_space = {
    "kernel_size": {"type": "int", "low": 5, "high": 25, "step": 2},
    "threshold": {"type": "int", "low": 5, "high": 30},
}


def color_constancy(*, power: float = 6.0) -> Filter:
    """Shades-of-grey colour constancy (Minkowski norm ``power``; 1 = grey world)."""
    p = _positive("power", power)

    def apply(image: np.ndarray) -> np.ndarray:
        img = image.astype(np.float32)
        illum = np.power(np.mean(np.power(img, p), axis=(0, 1)), 1.0 / p)
        norm = float(np.sqrt(np.sum(illum**2)))
        if norm == 0.0:
            return image.copy()
        gains = 1.0 / (illum / norm * np.sqrt(3.0) + 1e-8)
        return np.clip(img * gains, 0, 255).astype(np.uint8)

    return apply


color_constancy.search_space = {"power": {"type": "float", "low": 1.0, "high": 8.0}}


def resize(*, size: int = 64, interpolation: str = "area") -> Filter:
    """Resize to ``size`` x ``size`` (the paper resizes to 64)."""
    if int(size) != size or size < 1:
        raise ValueError(f"size must be a positive integer, got {size!r}")
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"interpolation must be one of {', '.join(_INTERPOLATIONS)}, got {interpolation!r}"
        )
    flag = _INTERPOLATIONS[interpolation]

    def apply(image: np.ndarray) -> np.ndarray:
        if image.shape[:2] == (size, size):
            return image
        return cv2.resize(image, (int(size), int(size)), interpolation=flag)

    return apply


resize.search_space = {
    "interpolation": {"type": "categorical", "choices": ["area", "linear", "cubic"]}
}


def center_crop(*, fraction: float = 0.875) -> Filter:
    """Central square crop whose side is ``fraction`` of the shorter image side."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction!r}")

    def apply(image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        side = max(1, int(round(min(h, w) * fraction)))
        top, left = (h - side) // 2, (w - side) // 2
        return np.ascontiguousarray(image[top : top + side, left : left + side])

    return apply


center_crop.search_space = {"fraction": {"type": "float", "low": 0.6, "high": 1.0}}
