"""The preprocessing cache: hit, miss, rebuild on a parameter change, concurrency, bad entries."""

from __future__ import annotations

import itertools
import multiprocessing
import threading
from pathlib import Path

import numpy as np
import pytest

from ganlab.config import PluginRef
from ganlab.data import scan_sources
from ganlab.data._sources import list_folder
from ganlab.errors import GanlabWarning, PluginError


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


def test_threads_match_one_thread_and_start_no_process(
    synth_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No fork after torch is imported (it hung ``prepare_data`` under load): worker threads,
    each with its own filter chain, give the same cache contents as one thread."""
    from ganlab.data import _preprocess

    def no_process(*_a, **_kw):
        raise AssertionError("the scan started a process")

    monkeypatch.setattr(multiprocessing, "get_context", no_process)
    built = []
    real_build = _preprocess.build_filter_steps
    monkeypatch.setattr(_preprocess, "build_filter_steps",
                        lambda refs: built.append(threading.get_ident()) or real_build(refs))
    one = _scan(synth_root, tmp_path / "a", filters=(PluginRef("bilateral"),), workers=1)
    two = _scan(synth_root, tmp_path / "b", filters=(PluginRef("bilateral"),), workers=2)
    assert np.array_equal(one.images, two.images) and np.array_equal(one.phash, two.phash)
    assert len(built) == len(set(built)) and len(built) <= 3  # one chain per thread


def test_a_filter_failing_on_one_file_names_it_with_several_threads(
    synth_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ganlab.data import _preprocess

    real_run, calls = _preprocess.run_steps, itertools.count()

    def failing(steps, rgb):
        if next(calls) == 5:
            raise ValueError("boom")
        return real_run(steps, rgb)

    monkeypatch.setattr(_preprocess, "run_steps", failing)
    with pytest.raises(PluginError, match=r"the filter chain failed on .*ValueError: boom"):
        _scan(synth_root, tmp_path / "c", workers=2)


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
