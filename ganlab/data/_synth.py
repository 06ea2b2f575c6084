"""The embedded synthetic dermoscopy-like set, drawn with numpy and OpenCV after the ABCD rule.

Benign lesions are round, symmetric, evenly coloured and have smooth borders; malignant ones are
asymmetric, with irregular borders and several colours (brown, black, blue-grey, red). Each
lesion's features follow one "atypia" score; ``difficulty`` makes the two classes' atypia
distributions overlap, as atypical naevi and early melanomas do. Both lie on skin-toned,
textured backgrounds with a dermoscope vignette and the same hair statistics, so hair is no
label cue. Image ``i`` depends only on (seed, i): a larger ``n`` extends a set.
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

from ganlab.errors import DataError

CLASSES = ("benign", "malignant")
_ANGLES = np.linspace(0.0, 2 * math.pi, 180, endpoint=False)
_PALETTE = np.array(
    [[70, 40, 25], [25, 15, 12], [95, 105, 125], [150, 60, 55], [120, 80, 50]], np.float32
)  # malignant colours (RGB): dark brown, black, blue-grey, red, light brown


def _background(rng: np.random.Generator, s: int) -> np.ndarray:
    base = np.array([rng.uniform(195, 235), rng.uniform(145, 185), rng.uniform(120, 160)])
    coarse = cv2.resize(rng.normal(0, 1, (6, 6, 3)).astype(np.float32), (s, s),
                        interpolation=cv2.INTER_CUBIC)
    fine = rng.normal(0, 3.0, (s, s, 3)).astype(np.float32)
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / (s - 1) * 2 - 1
    vignette = 1.0 - rng.uniform(0.15, 0.35) * np.clip(xx**2 + yy**2 - 0.5, 0, None)
    return (base + 8.0 * coarse + fine) * vignette[..., None]


def _mask(s: int, cx: float, cy: float, radius: np.ndarray, blur: float) -> np.ndarray:
    pts = np.stack([cx + radius * np.cos(_ANGLES), cy + radius * np.sin(_ANGLES)], 1)
    mask = np.zeros((s, s), np.float32)
    cv2.fillPoly(mask, [np.round(pts * 16).astype(np.int32)], 1.0, cv2.LINE_AA, shift=4)
    k = 2 * int(blur) + 1
    return cv2.GaussianBlur(mask, (k, k), 0) if k > 1 else mask


def _lesion(rng: np.random.Generator, img: np.ndarray, s: int, atypia: float) -> np.ndarray:
    """One lesion whose ABCD features grow with ``atypia`` in [0, 1].

    0 gives a round, symmetric, evenly brown naevus with a soft border; 1 an asymmetric lesion
    with an irregular, sharp border and several colours. Both classes draw from the same family,
    so their appearances overlap as much as their atypia distributions do.
    """
    r0 = s * rng.uniform(0.16, 0.30)
    cx, cy = s / 2 + rng.normal(0, s * (0.03 + 0.03 * atypia), 2)
    ecc, phase = rng.uniform(0, 0.08), rng.uniform(0, math.pi)
    harmonics = sum(
        rng.uniform(0.04, 0.22) / math.sqrt(k) * np.sin(k * _ANGLES + rng.uniform(0, 2 * math.pi))
        for k in range(1, 9)
    )
    jagged = np.convolve(rng.normal(0, 0.06, len(_ANGLES)), np.ones(3) / 3, mode="same")
    shape = ecc * np.cos(2 * (_ANGLES - phase)) + atypia * (harmonics + jagged)
    radius = r0 * np.clip(1 + shape, 0.35, None)
    blur = max(1, s // 48) if rng.uniform() > atypia else int(rng.integers(0, 2))
    mask = _mask(s, cx, cy, radius, blur=blur)
    brown = np.array([rng.uniform(105, 150), rng.uniform(65, 95), rng.uniform(40, 65)])
    colour = (1 - atypia) * brown + atypia * _PALETTE[0]
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
    rel = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) / r0
    shade = colour * (0.85 + 0.15 * np.clip(rel, 0, 1))[..., None]  # lighter towards the rim
    alpha = (0.85 + 0.05 * atypia) * mask[..., None]
    out = img * (1 - alpha) + shade * alpha
    n_colours = int(rng.binomial(4, atypia))
    for colour in _PALETTE[rng.choice(len(_PALETTE), size=n_colours, replace=False)]:
        blob = np.zeros((s, s), np.float32)
        centre = (int(cx + rng.normal(0, r0 * 0.4)), int(cy + rng.normal(0, r0 * 0.4)))
        axes = (int(r0 * rng.uniform(0.2, 0.6)) + 1, int(r0 * rng.uniform(0.2, 0.6)) + 1)
        cv2.ellipse(blob, centre, axes, rng.uniform(0, 180), 0, 360, 1.0, -1, cv2.LINE_AA)
        k = 2 * max(1, s // 32) + 1
        blob = cv2.GaussianBlur(blob, (k, k), 0) * mask * rng.uniform(0.6, 0.95)
        out = out * (1 - blob[..., None]) + colour * blob[..., None]
    return out


def atypia_of(rng: np.random.Generator, label: int, difficulty: float) -> float:
    """Atypia of a lesion: low for benign, high for malignant, overlapping with ``difficulty``.

    Benign atypia follows Beta(1.2, 1.2 + 8 (1 - difficulty)), malignant its mirror image, so
    difficulty 0 separates the classes almost perfectly and difficulty 1 not at all.
    """
    a = float(rng.beta(1.2, 1.2 + 8.0 * (1.0 - difficulty)))
    return 1.0 - a if label else a


def _hairs(rng: np.random.Generator, img: np.ndarray, s: int) -> np.ndarray:
    out = np.clip(img, 0, 255).astype(np.uint8)
    for _ in range(int(rng.integers(0, 6))):
        p0, p1, ctrl = rng.uniform(-0.1, 1.1, (3, 2)) * s
        t = np.linspace(0, 1, 24)[:, None]
        curve = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * ctrl + t**2 * p1
        colour = tuple(float(c) for c in rng.uniform(25, 70) * np.array([1.0, 0.8, 0.65]))
        cv2.polylines(out, [np.round(curve * 16).astype(np.int32)], False, colour, 1,
                      cv2.LINE_AA, shift=4)
    return out


def draw_lesion(
    seed: int, index: int, image_size: int, difficulty: float = 0.0
) -> tuple[np.ndarray, int]:
    """(RGB uint8 image, label) of synthetic image ``index``; label 1 = malignant."""
    rng = np.random.default_rng([seed, index])
    label = index % 2
    img = _background(rng, image_size)
    img = _lesion(rng, img, image_size, atypia_of(rng, label, difficulty))
    return _hairs(rng, img, image_size), label


def synthesize(
    out_dir: str | Path, n: int, seed: int = 0, image_size: int = 96, difficulty: float = 0.0
) -> dict[str, int]:
    """Write ``n`` labelled PNGs into ``out_dir/benign`` and ``out_dir/malignant``.

    ``difficulty`` in [0, 1] makes the classes' appearances overlap (see :func:`atypia_of`).

    Returns:
        Images written per class.

    Raises:
        DataError: ``out_dir`` already holds class folders, or ``n``/``image_size`` is too small.
    """
    out = Path(out_dir)
    if n < 2:
        raise DataError(f"{n}: generate at least 2 images (one per class)", path="data.synth.n")
    if not 0.0 <= difficulty <= 1.0:
        raise DataError(f"{difficulty}: choose a value between 0 and 1",
                        path="data.synth.difficulty")
    if image_size < 16:
        raise DataError(f"{image_size}: use at least 16 pixels", path="data.synth.image_size")
    taken = [c for c in CLASSES if (out / c).exists()]
    if taken:
        raise DataError(f"{out} already holds {', '.join(taken)}/", path="out_dir",
                        hint="choose an empty folder or delete it")
    for cls in CLASSES:
        (out / cls).mkdir(parents=True, exist_ok=True)
    counts = dict.fromkeys(CLASSES, 0)
    for i in range(n):
        rgb, label = draw_lesion(seed, i, image_size, difficulty)
        path = out / CLASSES[label] / f"{i:05d}.png"
        ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                               [cv2.IMWRITE_PNG_COMPRESSION, 1])
        if not ok:  # pragma: no cover - OpenCV always encodes uint8 BGR
            raise DataError(f"could not encode {path}")
        path.write_bytes(buf.tobytes())
        counts[CLASSES[label]] += 1
    return counts
