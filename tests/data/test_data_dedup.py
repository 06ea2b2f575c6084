"""Exact and near-duplicate grouping."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from ganlab.data import inspect_folder
from ganlab.data._dedup import UnionFind, lesion_groups, near_pairs


def test_near_pairs_match_brute_force() -> None:
    rng = np.random.default_rng(0)
    base = rng.integers(0, 2**63, 40, dtype=np.uint64)
    flips = np.uint64(1) << rng.integers(0, 64, 40).astype(np.uint64)
    hashes = np.concatenate([base, base ^ flips])  # each base has a 1-bit neighbour
    got = {tuple(p) for p in near_pairs(hashes, 3).tolist()}
    want = {
        (i, j)
        for i in range(len(hashes))
        for j in range(i + 1, len(hashes))
        if bin(int(hashes[i]) ^ int(hashes[j])).count("1") <= 3
    }
    assert got == want
    assert len(got) >= 40


def test_union_find_chains() -> None:
    uf = UnionFind(6)
    uf.union(0, 2)
    uf.union(2, 5)
    uf.union(3, 4)
    assert uf.components() == [[0, 2, 5], [1], [3, 4]]


def test_lesion_groups_combine_exact_near_and_given() -> None:
    digests = ["a", "b", "a", "c", "d", "e"]
    hashes = np.array([0, 2**40 - 1, 0, 0b111, 0b1, 2**62 - 1], dtype=np.uint64)
    groups, n_pairs = lesion_groups(digests, hashes, max_distance=2,
                                    given=["", "g1", "", "", "", "g1"])
    assert groups[0] == groups[2]  # byte-identical
    assert groups[3] == groups[4] == groups[0]  # 0b111 is 2 bits from 0b1, 0b1 is 1 from 0
    assert groups[1] == groups[5] != groups[0]  # far apart, but one manifest group
    assert n_pairs > 0
    no_near, _ = lesion_groups(digests, hashes, max_distance=None)
    assert no_near[0] == no_near[2] and no_near[3] != no_near[4]


def _jpeg(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def test_synthetic_near_duplicates_are_grouped(synth_root: Path) -> None:
    first = synth_root / "malignant" / "00001.png"
    img = Image.open(first).convert("RGB")
    # the same lesion again: re-encoded, slightly brighter, and a byte-identical copy
    (synth_root / "malignant" / "dup_jpeg.jpg").write_bytes(_jpeg(img, 85))
    bright = Image.fromarray(np.clip(np.asarray(img, np.int16) + 6, 0, 255).astype(np.uint8))
    bright.save(synth_root / "malignant" / "dup_bright.png")
    shutil.copy(first, synth_root / "malignant" / "dup_exact.png")
    report = inspect_folder(synth_root, hash_distance=4, workers=1)
    assert report.exact_groups == [["malignant/00001.png", "malignant/dup_exact.png"]]
    group = next(g for g in report.near_groups if "malignant/00001.png" in g)
    assert set(group) >= {"malignant/00001.png", "malignant/dup_jpeg.jpg",
                          "malignant/dup_bright.png", "malignant/dup_exact.png"}
    others = [g for g in report.near_groups if g is not group]
    assert sum(len(g) for g in others) <= 4  # distinct synthetic lesions stay apart
