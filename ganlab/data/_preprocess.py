"""Decode, validate, hash and filter every file of an image set once, on all cores, cached.

The cache key is a hash of the files' contents (SHA-256, in order), the resolved filter chain
(names, all parameters, plugin versions) and the image size. A cached entry holds the filtered
images and every file's validation record and pHash, so a warm run decodes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
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
from ganlab.io import file_lock

CACHE_VERSION = 1  # bump when decoding, validation or the cache layout changes

_STATE: dict[str, Any] = {}


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


def _init(refs: list[dict[str, Any]], image_size: int | None) -> None:
    import cv2

    cv2.setNumThreads(1)  # one process per core is faster than OpenCV's threads at this size
    _STATE["steps"] = build_filter_steps(refs)
    _STATE["size"] = image_size


def _work(path: str) -> tuple[dict[str, Any], int, np.ndarray | None]:
    import cv2

    decoded, _ = decode_file(path)
    record = {"skipped": decoded.skipped, "converted": decoded.converted,
              "mode": decoded.mode, "size": list(decoded.size)}
    if decoded.rgb is None:
        return record, 0, None
    hashed = phash64(decoded.rgb)
    size = _STATE["size"]
    if size is None:
        return record, hashed, None
    try:
        image = run_steps(_STATE["steps"], decoded.rgb)
    except Exception as exc:
        from ganlab.errors import PluginError

        if isinstance(exc, PluginError):
            raise
        raise PluginError(
            f"the filter chain failed on {path}: {type(exc).__name__}: {exc}"
        ) from exc
    if image.shape[:2] != (size, size):
        image = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
    return record, hashed, np.ascontiguousarray(image.transpose(2, 0, 1))


def _run(paths: Sequence[str], refs: list[dict[str, Any]], image_size: int | None,
         workers: int) -> list[tuple[dict[str, Any], int, np.ndarray | None]]:
    workers = min(resolve_workers(workers), max(1, len(paths)))
    if workers == 1:
        _init(refs, image_size)
        return [_work(p) for p in paths]
    import multiprocessing

    chunk = max(1, min(32, len(paths) // (workers * 8)))
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers, initializer=_init, initargs=(refs, image_size)) as pool:
        return list(pool.imap(_work, paths, chunksize=chunk))


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
) -> Scan:
    """Decode, validate and pHash every file; with ``image_size``, also filter and resize.

    Args:
        sources: The files to process.
        filters: Plugin references of the filter chain.
        image_size: Final side; ``None`` to skip filtering (validation and hashing only).
        workers: Processes (0 = all cores).
        cache_dir: Where to cache the result (``None`` = no cache).
    """
    paths = [s.path for s in sources.sources]
    digests = content_hashes(paths, memo_dir=cache_dir)
    chain = resolved_filters(filters)
    refs = [{"name": r["name"], **r["params"]} for r in chain]
    if cache_dir is None or image_size is None:
        return _assemble(sources, digests, _run(paths, refs, image_size, workers), image_size, "")
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
                scan = _assemble(sources, digests, _run(paths, refs, image_size, workers),
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

    from ganlab.errors import GanlabWarning

    aside = entry.with_name(entry.name + ".broken")
    os.replace(entry, aside)
    warnings.warn(f"{entry}: unreadable preprocessing cache entry; moved to {aside} and "
                  "rebuilding it", GanlabWarning, stacklevel=3)
