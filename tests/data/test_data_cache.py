"""The preprocessing cache: hit, miss, rebuild on a parameter change, concurrency, bad entries."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np
import pytest

from ganlab.config import PluginRef
from ganlab.data import scan_sources
from ganlab.data._sources import list_folder
from ganlab.errors import GanlabWarning


def _scan(root: Path, cache: Path, filters=(PluginRef("gamma"),), size: int = 16, workers=1):
    return scan_sources(list_folder(root), filters=filters, image_size=size, workers=workers,
                        cache_dir=cache)


def test_hit_miss_and_rebuild(synth_root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = _scan(synth_root, cache)
    warm = _scan(synth_root, cache)
    assert not cold.cache_hit and warm.cache_hit and warm.cache_key == cold.cache_key
    assert np.array_equal(cold.images, warm.images)
    assert np.array_equal(cold.phash, warm.phash) and warm.records == cold.records
    explicit = _scan(synth_root, cache, filters=(PluginRef("gamma", {"gamma": 1.5}),))
    assert explicit.cache_hit  # writing the default out is the same chain
    changed = _scan(synth_root, cache, filters=(PluginRef("gamma", {"gamma": 2.0}),))
    assert not changed.cache_hit and changed.cache_key != cold.cache_key
    assert not np.array_equal(changed.images, cold.images)
    resized = _scan(synth_root, cache, size=8)
    assert not resized.cache_hit and resized.images.shape[-1] == 8
    # new file contents change the key
    victim = synth_root / "benign" / "00000.png"
    victim.write_bytes((synth_root / "benign" / "00002.png").read_bytes())
    edited = _scan(synth_root, cache)
    assert not edited.cache_hit and edited.cache_key != cold.cache_key


def test_pool_matches_single_process(synth_root: Path, tmp_path: Path) -> None:
    one = _scan(synth_root, tmp_path / "a", filters=(PluginRef("bilateral"),), workers=1)
    two = _scan(synth_root, tmp_path / "b", filters=(PluginRef("bilateral"),), workers=2)
    assert np.array_equal(one.images, two.images) and np.array_equal(one.phash, two.phash)


def test_unreadable_entry_is_rebuilt(synth_root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = _scan(synth_root, cache)
    entry = cache / f"prep-{cold.cache_key}.npz"
    entry.write_bytes(entry.read_bytes()[:1000])  # what a kill mid-write without atomicity does
    with pytest.warns(GanlabWarning, match="moved to .*broken"):
        again = _scan(synth_root, cache)
    assert not again.cache_hit and np.array_equal(again.images, cold.images)
    assert entry.with_name(entry.name + ".broken").stat().st_size == 1000  # kept aside
    assert _scan(synth_root, cache).cache_hit


def _build(args: tuple[str, str]) -> bool:
    root, cache = args
    return _scan(Path(root), Path(cache), filters=(PluginRef("median"),)).cache_hit


def test_two_processes_build_once(synth_root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        hits = pool.map(_build, [(str(synth_root), str(cache))] * 2)
    assert sorted(hits) == [False, True]
    assert len(list(cache.glob("prep-*.npz"))) == 1
    assert not list(cache.glob(".*.tmp"))
