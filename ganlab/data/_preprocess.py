"""Decode, validate, hash and filter every file of an image set once, on all cores, cached.

The cache key is a hash of the files' contents (SHA-256, in order), the resolved filter chain
(names, all parameters, plugin versions) and the image size. A cached entry holds the filtered
images and every file's validation record and pHash, so a warm run decodes nothing.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ganlab.data._cache import load_npz, save_npz
from ganlab.data._chain import build_filter_steps, resolved_filters, run_steps
from ganlab.data._decode import decode_file
from ganlab.data._dedup import phash64
from ganlab.data._hashing import content_hashes, digest_of
from ganlab.data._sources import SourceList
from ganlab.errors import GanlabWarning, PluginError
from ganlab.io import file_lock

CACHE_VERSION = 1  # bump when decoding, validation or the cache layout changes

ProgressFn = Callable[[int, int], None]  # (files done, files in all)


@dataclass
class Scan:
    """Every file of a :class:`SourceList`, decoded, validated and (optionally) filtered.

    Attributes:
        sources: The input files.
        digests: SHA-256 of each file's bytes.
        records: Per file: ``skipped`` reason, ``converted`` note, ``mode``, ``size`` [w, h].
        phash: 64-bit pHash per file (0 for skipped files), ``uint64``.
        usable: Indices of the files that decoded (possibly after conversion).
        images: ``uint8`` (len(usable), 3, S, S) after the chain, or ``None`` when not requested.
        cache_key: Key of the cache entry, ``""`` when not cached.
        cache_hit: Whether the entry was read from the cache.
    """

    sources: SourceList
    digests: list[str]
    records: list[dict[str, Any]]
    phash: np.ndarray
    usable: np.ndarray
    images: np.ndarray | None
    cache_key: str = ""
    cache_hit: bool = False


def resolve_workers(workers: int) -> int:
    """``0`` means every core this process may use."""
    return workers if workers > 0 else max(1, len(os.sched_getaffinity(0)))


def _work(path: str, steps: list[Any] | None,
          size: int | None) -> tuple[dict[str, Any], int, np.ndarray | None]:
    """Decode, validate, hash and (with ``size``) filter one file."""
    import cv2

    decoded, _ = decode_file(path)
    record = {"skipped": decoded.skipped, "converted": decoded.converted,
              "mode": decoded.mode, "size": list(decoded.size)}
    if decoded.rgb is None:
        return record, 0, None
    hashed = phash64(decoded.rgb)
    if size is None or steps is None:
        return record, hashed, None
    try:
        image = run_steps(steps, decoded.rgb)
    except Exception as exc:
        if isinstance(exc, PluginError):
            raise
        raise PluginError(
            f"the filter chain failed on {path}: {type(exc).__name__}: {exc}"
        ) from exc
    if image.shape[:2] != (size, size):
        image = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
    return record, hashed, np.ascontiguousarray(image.transpose(2, 0, 1))


def _run(paths: Sequence[str], refs: list[dict[str, Any]], image_size: int | None,
         workers: int, progress: ProgressFn | None = None,
         ) -> list[tuple[dict[str, Any], int, np.ndarray | None]]:
    """:func:`_work` on every path, in order, on ``workers`` threads.

    Threads, not processes: a forked pool after torch is imported can hang (torch's and
    OpenCV's thread pools do not survive ``fork``), a spawned one imports ganlab anew in every
    worker, and decoding (Pillow), the filters (OpenCV) and the resize release the GIL. Each
    thread builds its own filter chain (a filter object need not be thread-safe), and OpenCV
    runs one thread per call meanwhile (one per core is faster at this image size).
    """
    import cv2

    workers = min(resolve_workers(workers), max(1, len(paths)))
    local = threading.local()

    def work(path: str) -> tuple[dict[str, Any], int, np.ndarray | None]:
        if not hasattr(local, "steps"):
            local.steps = build_filter_steps(refs) if image_size is not None else None
        return _work(path, local.steps, image_size)

    cv_threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    pool = ThreadPoolExecutor(workers, thread_name_prefix="ganlab-scan") if workers > 1 else None
    try:
        results = pool.map(work, paths) if pool is not None else map(work, paths)
        return _collect(results, len(paths), progress)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)  # a failure stops the other files
        cv2.setNumThreads(cv_threads)


def _collect(results: Iterable[Any], total: int, progress: ProgressFn | None) -> list[Any]:
    """The results in order, reporting ``progress(done, total)`` about every 1% of files."""
    out: list[Any] = []
    step = max(1, total // 100)
    for item in results:
        out.append(item)
        if progress is not None and (len(out) % step == 0 or len(out) == total):
            progress(len(out), total)
    return out


def _assemble(sources: SourceList, digests: list[str], results: list, image_size: int | None,
              key: str) -> Scan:
    records = [r for r, _, _ in results]
    phash = np.array([h for _, h, _ in results], dtype=np.uint64)
    usable = np.array([i for i, r in enumerate(records) if not r["skipped"]], dtype=np.int64)
    images = None
    if image_size is not None:
        images = np.zeros((len(usable), 3, image_size, image_size), dtype=np.uint8)
        for row, i in enumerate(usable):
            images[row] = results[i][2]
    return Scan(sources, digests, records, phash, usable, images, key)


def scan_sources(
    sources: SourceList,
    *,
    filters: Sequence[Any] = (),
    image_size: int | None = None,
    workers: int = 0,
    cache_dir: Path | None = None,
    progress: ProgressFn | None = None,
) -> Scan:
    """Decode, validate and pHash every file; with ``image_size``, also filter and resize.

    Args:
        sources: The files to process.
        filters: Plugin references of the filter chain.
        image_size: Final side; ``None`` to skip filtering (validation and hashing only).
        workers: Threads (0 = one per core).
        cache_dir: Where to cache the result (``None`` = no cache).
        progress: Called as ``progress(done, total)`` while files are processed (not on a
            cache hit).
    """
    paths = [s.path for s in sources.sources]
    digests = content_hashes(paths, memo_dir=cache_dir)
    chain = resolved_filters(filters)
    refs = [{"name": r["name"], **r["params"]} for r in chain]
    if cache_dir is None or image_size is None:
        return _assemble(sources, digests, _run(paths, refs, image_size, workers, progress),
                         image_size, "")
    files = [
        d if d != "unreadable" else f"unreadable:{p}" for d, p in zip(digests, paths, strict=True)
    ]
    key = digest_of({"v": CACHE_VERSION, "files": files, "chain": chain, "size": image_size})
    entry = Path(cache_dir) / f"prep-{key}.npz"
    cached = load_npz(entry)
    if cached is None:
        with file_lock(Path(cache_dir) / f"prep-{key}.lock"):
            cached = load_npz(entry)  # another process may have built it while we waited
            if cached is None and entry.exists():
                _set_aside(entry)
            if cached is None:
                scan = _assemble(sources, digests,
                                 _run(paths, refs, image_size, workers, progress),
                                 image_size, key)
                meta = {"key": key, "records": scan.records, "chain": chain,
                        "image_size": image_size}
                save_npz(entry, meta, images=scan.images, phash=scan.phash, usable=scan.usable)
                return scan
    meta, arrays = cached
    return Scan(sources, digests, meta["records"], arrays["phash"], arrays["usable"],
                arrays["images"], key, cache_hit=True)


def _set_aside(entry: Path) -> None:
    """Move an unreadable cache entry to ``<entry>.broken`` (kept for inspection), warning."""
    import warnings

    aside = entry.with_name(entry.name + ".broken")
    os.replace(entry, aside)
    warnings.warn(f"{entry}: unreadable preprocessing cache entry; moved to {aside} and "
                  "rebuilding it", GanlabWarning, stacklevel=3)
