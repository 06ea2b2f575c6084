"""``inspect_folder``: what an image set holds, what is skipped and why, and its duplicates."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ganlab.data._dedup import exact_groups, lesion_groups
from ganlab.data._preprocess import scan_sources
from ganlab.data._sources import list_folder
from ganlab.errors import DataError

DEFAULT_HASH_DISTANCE = 4


@dataclass
class InspectReport:
    """Summary of one class-per-folder image set.

    Attributes:
        root: The folder.
        class_names: (negative, positive) class names.
        files: Files found per class.
        usable: Usable images per class.
        sizes: Count of each original (width, height).
        modes: Count of each stored PIL mode among decodable files.
        skipped: (sample id, reason) of every skipped file.
        converted: (sample id, conversion) of every converted file.
        exact_groups: Sample ids of byte-identical files, groups of two or more.
        near_groups: Sample ids of lesion groups (near-duplicates, exact copies), two or more.
        near_pairs: Image pairs within ``hash_distance``.
        hash_distance: The pHash Hamming distance used.
    """

    root: str
    class_names: tuple[str, str]
    files: dict[str, int]
    usable: dict[str, int]
    sizes: Counter = field(default_factory=Counter)
    modes: Counter = field(default_factory=Counter)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    converted: list[tuple[str, str]] = field(default_factory=list)
    exact_groups: list[list[str]] = field(default_factory=list)
    near_groups: list[list[str]] = field(default_factory=list)
    near_pairs: int = 0
    hash_distance: int = DEFAULT_HASH_DISTANCE

    @staticmethod
    def mixed(groups: list[list[str]]) -> int:
        """How many of ``groups`` hold images of both classes (label conflicts or look-alikes)."""
        return sum(len({g.split("/")[0] for g in group}) > 1 for group in groups)

    def skip_counts(self) -> dict[str, int]:
        """Skipped files per reason."""
        return dict(Counter(reason for _, reason in self.skipped))


def inspect_folder(
    root: str | Path,
    *,
    positive_class: str = "malignant",
    hash_distance: int = DEFAULT_HASH_DISTANCE,
    workers: int = 0,
    follow_symlinks: bool = False,
) -> InspectReport:
    """Decode every file once (on all cores) and report classes, sizes, skips and duplicates.

    Raises:
        DataError: Missing folder, not exactly two classes, or no usable image at all.
    """
    sources = list_folder(Path(root), positive_class=positive_class,
                          follow_symlinks=follow_symlinks)
    scan = scan_sources(sources, workers=workers)
    src = sources.sources
    files = Counter(s.class_name for s in src)
    usable = Counter(src[i].class_name for i in scan.usable)
    report = InspectReport(
        root=str(root),
        class_names=sources.class_names,
        files={c: files.get(c, 0) for c in sources.class_names},
        usable={c: usable.get(c, 0) for c in sources.class_names},
        hash_distance=hash_distance,
    )
    report.skipped.extend(sources.excluded)
    for s, rec in zip(src, scan.records, strict=True):
        if rec["skipped"]:
            report.skipped.append((s.sample_id, rec["skipped"]))
            continue
        report.sizes[tuple(rec["size"])] += 1
        report.modes[rec["mode"]] += 1
        if rec["converted"]:
            report.converted.append((s.sample_id, rec["converted"]))
    if len(scan.usable) == 0:
        reasons = ", ".join(f"{k}: {v}" for k, v in report.skip_counts().items()) or "no files"
        raise DataError(f"{root}: no usable images ({reasons}); nothing to inspect further.")
    digests = [scan.digests[i] for i in scan.usable]
    ids = [src[i].sample_id for i in scan.usable]
    report.exact_groups = [[ids[i] for i in g] for g in exact_groups(digests)]
    groups, report.near_pairs = lesion_groups(digests, scan.phash[scan.usable],
                                              max_distance=hash_distance)
    members: dict[int, list[str]] = {}
    for sample_id, g in zip(ids, groups, strict=True):
        members.setdefault(g, []).append(sample_id)
    report.near_groups = [m for m in members.values() if len(m) > 1]
    report.near_groups.sort(key=lambda m: (-len(m), m[0]))
    return report

