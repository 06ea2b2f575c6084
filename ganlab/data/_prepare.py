"""``prepare_data``: from a study's data config to train/val/test image sets and a manifest."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ganlab.data._chain import resolved_filters
from ganlab.data._dedup import lesion_groups
from ganlab.data._hashing import digest_of
from ganlab.data._preprocess import Scan, scan_sources
from ganlab.data._sources import SourceList, list_folder, list_manifest
from ganlab.data._split import (
    Split,
    manifest_csv,
    read_manifest,
    sides_for_fold,
    split_folds,
    split_groups,
)
from ganlab.data._synth import synthesize
from ganlab.data._types import ImageSet, PreparedData
from ganlab.errors import ConfigError, DataError
from ganlab.io import atomic_write_json, atomic_write_text, file_lock

if TYPE_CHECKING:
    from ganlab.config import DataConfig, PluginRef

SPLIT_CSV = "split.csv"
SPLIT_JSON = "split.json"
SYNTH_RECORD = "synth.json"  # settings of a generated synthetic set, inside its root


def _resolve(path: str, base_dir: Path) -> Path:
    p = Path(path).expanduser()
    return (p if p.is_absolute() else Path(base_dir) / p).resolve()


def ensure_synthetic(
    root: Path, *, n: int, seed: int, image_size: int, difficulty: float = 0.0
) -> bool:
    """Generate the synthetic set into ``root`` unless it exists; safe between processes.

    The settings are recorded in ``root/synth.json``; an existing set made with other settings
    is an error rather than silently reused.

    Returns:
        Whether this call generated it.
    """
    settings = {"n": n, "seed": seed, "image_size": image_size, "difficulty": difficulty}
    if root.exists():
        _check_synth_settings(root, settings)
        return False
    root.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(root.parent / f".{root.name}.lock"):
        if root.exists():
            return False
        tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.", dir=root.parent))
        try:
            synthesize(tmp, n, seed, image_size, difficulty)
            (tmp / SYNTH_RECORD).write_text(json.dumps(settings, indent=2) + "\n")
            os.replace(tmp, root)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return True


def _check_synth_settings(root: Path, settings: dict[str, Any]) -> None:
    record = root / SYNTH_RECORD
    if not record.exists():
        return  # a folder the user made: use it as it is
    made = json.loads(record.read_text())
    made.setdefault("difficulty", 0.0)
    if made != settings:
        raise DataError(
            f"{root} holds a synthetic set made with {made}, but data.synth asks for "
            f"{settings}; delete {root} to regenerate it, or point data.root elsewhere"
        )


def resolve_sources(cfg: DataConfig, base_dir: Path) -> SourceList:
    """The input files named by ``cfg`` (generating the synthetic set first when configured)."""
    if cfg.root and cfg.manifest:
        raise ConfigError("data: set either root (a folder) or manifest (a CSV), not both")
    if cfg.manifest:
        return list_manifest(_resolve(cfg.manifest, base_dir), positive_class=cfg.positive_class)
    if not cfg.root:
        raise ConfigError(
            "data: no images configured; set data.root to a class-per-folder image set, "
            "data.manifest to a CSV, or data.root plus [data.synth] for the synthetic set"
        )
    root = _resolve(cfg.root, base_dir)
    if cfg.synth is not None:
        ensure_synthetic(root, n=cfg.synth.n, seed=cfg.synth.seed,
                         image_size=cfg.synth.image_size, difficulty=cfg.synth.difficulty)
    return list_folder(root, positive_class=cfg.positive_class,
                       follow_symlinks=cfg.follow_symlinks)


def skip_summary(scan: Scan) -> dict[str, int]:
    """Skipped files per reason (including files left out when listing, never read)."""
    reasons = [r["skipped"] for r in scan.records if r["skipped"]]
    reasons += [reason for _, reason in scan.sources.excluded]
    return dict(Counter(reasons))


def usable_checked(scan: Scan) -> tuple[np.ndarray, np.ndarray]:
    """(indices of usable files, their labels); raises if a class has no usable image."""
    usable = scan.usable
    src = scan.sources
    labels = np.array([src.label(src.sources[i]) for i in usable], dtype=np.int64)
    if len(usable) == 0:
        reasons = ", ".join(f"{k}: {v}" for k, v in skip_summary(scan).items()) or "no files"
        raise DataError(
            f"{src.origin}: no usable images ({reasons}). Run `ganlab data inspect` on it."
        )
    for label, name in enumerate(src.class_names):
        if not (labels == label).any():
            raise DataError(
                f"{src.origin}: class {name!r} has no usable image; ganlab needs both classes. "
                "Run `ganlab data inspect` to see what was skipped."
            )
    return usable, labels


def _load_or_split(manifest: Path, fingerprint: str, ids: list[str], labels: np.ndarray,
                   groups: list[int], split_cfg: Any) -> tuple[Split, bool]:
    meta_path = manifest.with_name(SPLIT_JSON)
    if manifest.is_file() and meta_path.is_file():
        import json

        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            rows = read_manifest(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta, rows = {}, {}
        if meta.get("fingerprint") == fingerprint and set(rows) == set(ids):
            side = [rows[i]["split"] for i in ids]
            fold = [int(rows[i].get("fold") or -1) for i in ids]
            return Split(side, fold), True
    if split_cfg.folds >= 2:
        split = split_folds(labels, groups, test=split_cfg.test, folds=split_cfg.folds,
                            seed=split_cfg.seed)
    else:
        split = split_groups(labels, groups, val=split_cfg.val, test=split_cfg.test,
                             seed=split_cfg.seed)
    return split, False


def _subset(scan: Scan, rows: np.ndarray, usable: np.ndarray, labels: np.ndarray) -> ImageSet:
    import torch

    src = scan.sources.sources
    return ImageSet(
        images=torch.from_numpy(np.ascontiguousarray(scan.images[rows])),
        labels=torch.from_numpy(labels[rows].copy()),
        paths=[src[usable[r]].path for r in rows],
        ids=[src[usable[r]].sample_id for r in rows],
        class_names=scan.sources.class_names,
    )


def prepare_data(
    cfg: DataConfig,
    *,
    base_dir: Path,
    work_dir: Path,
    fold: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PreparedData:
    """Ingest, validate, group, split, filter (cached) and load the images of a study.

    Args:
        cfg: The study's ``[data]`` table.
        base_dir: Folder that relative paths in ``cfg`` start from (the study file's folder).
        work_dir: The study's folder, shared by all its trials: ``split.csv`` and ``split.json``
            are written there and reused while the files and split settings are unchanged; the
            cache defaults to ``work_dir/cache``.
        fold: With ``data.split.folds >= 2``, the fold used as validation (default 0).
        progress: Called as ``progress(done, total)`` while files are decoded and filtered.

    Skipped files (unreadable, too small, ...) are listed with their reasons in
    ``work_dir/skipped.csv`` (``protocol["skipped_list"]``).
    """
    base_dir, work_dir = Path(base_dir), Path(work_dir)
    sources = resolve_sources(cfg, base_dir)
    cache_dir = _resolve(cfg.cache_dir, base_dir) if cfg.cache_dir else work_dir / "cache"
    scan = scan_sources(sources, filters=cfg.filters, image_size=cfg.image_size,
                        workers=cfg.workers, cache_dir=cache_dir, progress=progress)
    usable, labels = usable_checked(scan)
    sp = cfg.split
    src = sources.sources
    groups, n_pairs = lesion_groups(
        [scan.digests[i] for i in usable], scan.phash[usable],
        max_distance=sp.hash_distance if sp.group_near_duplicates else None,
        given=[src[i].group for i in usable],
    )
    ids = [src[i].sample_id for i in usable]
    settings = {"val": sp.val, "test": sp.test, "folds": sp.folds, "seed": sp.seed,
                "group_near_duplicates": sp.group_near_duplicates,
                "hash_distance": sp.hash_distance}
    fingerprint = digest_of({"files": [[i, scan.digests[u]] for i, u in zip(ids, usable,
                                                                           strict=True)],
                             "labels": labels.tolist(), "groups": groups, "split": settings})
    manifest = work_dir / SPLIT_CSV
    with file_lock(work_dir / ".split.lock"):
        split, reused = _load_or_split(manifest, fingerprint, ids, labels, groups, sp)
        if not reused:
            rows = [
                {"sample_id": ids[k], "path": src[u].path, "label": int(labels[k]),
                 "group": groups[k], "split": split.side[k], "fold": split.fold[k]}
                for k, u in enumerate(usable)
            ]
            atomic_write_text(manifest, manifest_csv(rows, with_fold=sp.folds >= 2))
            atomic_write_json(work_dir / SPLIT_JSON,
                              {"fingerprint": fingerprint, "settings": settings})
    sides = np.array(sides_for_fold(split, fold, sp.folds))
    sets = {s: _subset(scan, np.flatnonzero(sides == s), usable, labels)
            for s in ("train", "val", "test")}
    if len(sets["train"]) == 0:
        raise DataError(f"{sources.origin}: the split left no training images; lower val/test")
    protocol = {
        "source": sources.origin,
        "class_names": list(sources.class_names),
        "positive_class": sources.class_names[1],
        "files": len(src),
        "usable": int(len(usable)),
        "skipped": skip_summary(scan),
        "skipped_list": _write_skipped(scan, work_dir),
        "converted": dict(Counter(r["converted"] for r in scan.records if r["converted"])),
        "split": {**settings, "fold": (fold or 0) if sp.folds >= 2 else None,
                  "reused_manifest": reused, "manifest": str(manifest)},
        "grouping": "sha256 exact duplicates"
        + (f" + pHash-64 Hamming <= {sp.hash_distance}" if sp.group_near_duplicates else "")
        + " + manifest groups, union-find",
        "lesion_groups": len(set(groups)),
        "near_duplicate_pairs": n_pairs,
        "sizes": {s: sets[s].counts() for s in sets},
        "filters": resolved_filters(cfg.filters),
        "image_size": cfg.image_size,
        "cache_key": scan.cache_key,
        "cache_hit": scan.cache_hit,
    }
    return PreparedData(sets["train"], sets["val"], sets["test"], sources.class_names,
                        manifest, protocol)


def _write_skipped(scan: Scan, work_dir: Path) -> str | None:
    """``work_dir/skipped.csv``: every skipped file with its reason (``None`` if none)."""
    rows = [(s.path, r["skipped"]) for s, r in zip(scan.sources.sources, scan.records,
                                                    strict=True) if r["skipped"]]
    path = work_dir / "skipped.csv"
    if not rows:
        path.unlink(missing_ok=True)
        return None
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["path", "reason"])
    writer.writerows(rows)
    atomic_write_text(path, buf.getvalue())
    return str(path)


def load_image_folder(
    root: Path, *, filters: tuple[PluginRef, ...] | list[PluginRef], image_size: int,
    positive_class: str = "malignant",
) -> ImageSet:
    """Every usable image of a class-per-folder set, filtered like training data (no split)."""
    sources = list_folder(Path(root), positive_class=positive_class)
    scan = scan_sources(sources, filters=filters, image_size=image_size)
    usable, labels = usable_checked(scan)
    return _subset(scan, np.arange(len(usable)), usable, labels)
