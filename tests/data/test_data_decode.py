"""Validation: every broken or unusual file is converted or skipped with the right reason."""

from __future__ import annotations

import numpy as np
import pytest
from data_odd_files import odd_files

from ganlab.data import decode_bytes, inspect_folder, scan_sources
from ganlab.data._decode import (
    SKIP_CORRUPT,
    SKIP_EMPTY,
    SKIP_NOT_IMAGE,
    SKIP_TOO_SMALL,
    SKIP_TRANSPARENT,
    SKIP_TRUNCATED,
)
from ganlab.data._sources import list_folder

EXPECTED_SKIP = {
    "skip_empty.jpg": SKIP_EMPTY,
    "skip_text.jpg": SKIP_NOT_IMAGE,
    "skip_truncated.jpg": SKIP_TRUNCATED,
    "skip_corrupt.png": SKIP_CORRUPT,
    "skip_transparent.png": SKIP_TRANSPARENT,
    "skip_palette_transparent.png": SKIP_TRANSPARENT,
    "skip_bilevel.png": "unsupported mode 1",
    "skip_float.tif": "unsupported mode F",
    "skip_tiny.png": SKIP_TOO_SMALL,
}


@pytest.mark.parametrize("name", sorted(odd_files()))
def test_each_case(name: str) -> None:
    decoded = decode_bytes(odd_files()[name])
    if name.startswith("skip_"):
        assert decoded.rgb is None
        assert decoded.skipped == EXPECTED_SKIP[name]
        return
    assert decoded.skipped == ""
    assert decoded.rgb is not None and decoded.rgb.dtype == np.uint8
    assert decoded.rgb.shape == (24, 24, 3)
    assert bool(decoded.converted) == name.startswith("conv_")


def test_gray16_is_scaled_not_clipped() -> None:
    decoded = decode_bytes(odd_files()["conv_gray16.png"])
    values = np.arange(24 * 24).reshape(24, 24) * 100
    expected = np.round(values / 257).astype(np.uint8)
    assert np.array_equal(decoded.rgb[..., 0], expected)
    assert np.array_equal(decoded.rgb[..., 0], decoded.rgb[..., 2])


def test_opaque_rgba_keeps_pixels() -> None:
    plain = decode_bytes(odd_files()["ok_rgb.png"]).rgb
    assert np.array_equal(decode_bytes(odd_files()["conv_rgba_opaque.png"]).rgb, plain)


def test_folder_of_odd_files_is_fully_accounted_for(odd_root) -> None:
    sources = list_folder(odd_root)
    scan = scan_sources(sources, filters=["gamma"], image_size=16, workers=1)
    n_files = len(odd_files()) * 2
    skipped = [r for r in scan.records if r["skipped"]]
    assert len(scan.records) == n_files
    assert len(skipped) + len(scan.usable) == n_files
    assert len(skipped) == 2 * len(EXPECTED_SKIP)
    assert scan.images.shape == (len(scan.usable), 3, 16, 16)
    report = inspect_folder(odd_root, workers=1)
    assert report.usable == {"benign": 7, "malignant": 7}
    assert len(report.skipped) == 18 and len(report.converted) == 10
    assert report.skip_counts()[SKIP_TRANSPARENT] == 4
