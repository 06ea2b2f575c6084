"""Built-in filters: each one's own behaviour (the generic contract is in test_contracts.py)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ganlab.errors import PluginError
from ganlab.registry import FILTERS


def _skin(seed: int = 0, size: int = 48) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.full((size, size, 3), (200, 150, 130), np.float32) + rng.normal(0, 6, (size, size, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("name", FILTERS.names())
def test_uint8_rgb_deterministic_and_pure(name: str) -> None:
    image = _skin()
    before = image.copy()
    out = FILTERS.create(name)(image)
    assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3
    assert np.array_equal(image, before)  # input left untouched
    assert np.array_equal(out, FILTERS.create(name)(image))


def test_paper_defaults() -> None:
    params = {p.name: p.default for p in FILTERS.parameters("bilateral")}
    assert params == {"d": 9, "sigma_color": 75.0, "sigma_space": 75.0}
    assert {p.name: p.default for p in FILTERS.parameters("gamma")} == {"gamma": 1.5}
    image = _skin(1)
    assert np.array_equal(FILTERS.create("bilateral")(image),
                          cv2.bilateralFilter(image, 9, 75.0, 75.0))


def test_gamma_lut_matches_formula() -> None:
    image = np.arange(256, dtype=np.uint8).reshape(16, 16, 1).repeat(3, axis=2)
    out = FILTERS.create("gamma", gamma=1.5)(image)
    expected = np.round(255.0 * (image / 255.0) ** (1 / 1.5)).astype(np.uint8)
    assert np.array_equal(out, expected)
    assert (out[..., 0].ravel()[1:250] > np.arange(1, 250)).all()  # O = I^(1/1.5) brightens
    assert np.array_equal(FILTERS.create("gamma", gamma=1.0)(image), image)


def test_hair_removal_inpaints_a_dark_hair() -> None:
    image = _skin(2, 64)
    hairy = image.copy()
    cv2.line(hairy, (0, 10), (63, 50), (30, 20, 15), 1)
    mask = np.zeros(image.shape[:2], bool)
    cv2.line(mask.view(np.uint8), (0, 10), (63, 50), 1, 1)
    cleaned = FILTERS.create("hair_removal", kernel_size=9)(hairy)
    before = np.abs(hairy[mask].astype(int) - image[mask]).mean()
    after = np.abs(cleaned[mask].astype(int) - image[mask]).mean()
    assert after < before / 4


def test_color_constancy_removes_a_cast() -> None:
    cast = (_skin(3).astype(np.float32) * (1.0, 0.7, 0.5)).astype(np.uint8)
    out = FILTERS.create("color_constancy")(cast)
    spread = lambda im: np.ptp(im.reshape(-1, 3).mean(0))  # noqa: E731
    assert spread(out) < spread(cast) / 2


def test_clahe_median_gaussian_resize_crop() -> None:
    flat = (_skin(4) // 4 + 90).astype(np.uint8)
    assert FILTERS.create("clahe")(flat).std() > flat.std()
    noisy = _skin(5)
    noisy[::7, ::5] = 255
    assert (FILTERS.create("median", ksize=3)(noisy) == 255).sum() < (noisy == 255).sum() / 10
    assert FILTERS.create("gaussian")(noisy).std() < noisy.std()
    assert FILTERS.create("resize", size=20)(noisy).shape == (20, 20, 3)
    wide = np.zeros((40, 60, 3), np.uint8)
    assert FILTERS.create("center_crop", fraction=0.5)(wide).shape == (20, 20, 3)


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("gaussian", {"ksize": 4}, "odd"),
        ("gamma", {"gamma": 0}, "> 0"),
        ("resize", {"interpolation": "fancy"}, "area"),
        ("center_crop", {"fraction": 1.5}, "fraction"),
        ("bilateral", {"dd": 3}, "no parameter"),
    ],
)
def test_bad_parameters_are_plugin_errors(name: str, params: dict, message: str) -> None:
    with pytest.raises(PluginError, match=message):
        FILTERS.create(name, **params)
