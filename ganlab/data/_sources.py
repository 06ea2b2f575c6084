"""Ingestion: list the labelled files of a class-per-folder image set or of a CSV manifest."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ganlab.errors import DataError


@dataclass(frozen=True)
class Source:
    """One labelled input file (not yet decoded)."""

    path: str  # absolute path of the file
    sample_id: str  # path relative to the data root (or as written in the manifest)
    class_name: str  # folder name or manifest label
    group: str = ""  # lesion group from the manifest, "" when not given


@dataclass(frozen=True)
class SourceList:
    """The files of one image set and its two class names (``class_names[1]`` is positive)."""

    sources: tuple[Source, ...]
    class_names: tuple[str, str]
    origin: str  # the folder or manifest it came from
    excluded: tuple[tuple[str, str], ...] = ()  # (printable sample id, reason) never read

    def label(self, source: Source) -> int:
        """1 for the positive class, 0 for the other."""
        return int(source.class_name == self.class_names[1])


def _class_names(found: list[str], positive_class: str, where: str) -> tuple[str, str]:
    if len(found) < 2:
        raise DataError(
            f"{where}: found only {len(found)} class ({', '.join(found) or 'none'}); ganlab "
            "needs exactly two (e.g. benign/ and malignant/ folders, or two manifest labels)."
        )
    if len(found) > 2:
        raise DataError(
            f"{where}: found {len(found)} classes ({', '.join(found)}); ganlab classifies two. "
            "Keep two class folders (or two manifest labels)."
        )
    if positive_class not in found:
        raise DataError(
            f"{where}: the positive class {positive_class!r} is not one of the classes "
            f"{', '.join(found)}. Set data.positive_class to one of them."
        )
    other = next(c for c in found if c != positive_class)
    return (other, positive_class)


SKIP_NOT_UTF8 = "file name is not valid UTF-8 (rename it)"
SKIP_OUTSIDE = "symlink to a file outside the data root (data.follow_symlinks = true reads it)"


def list_folder(
    root: Path, *, positive_class: str = "malignant", follow_symlinks: bool = False
) -> SourceList:
    """Every non-hidden file below each class folder of ``root`` (one sub-folder per class).

    Files are left out, with a reason in ``excluded``, when their name is not valid UTF-8 (it
    could not be written to ``split.csv`` or reports) or, unless ``follow_symlinks``, when they
    are symlinks that lead outside ``root``.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(
            f"{root}: no such folder. Point data.root (or the DIR argument) at a folder with one "
            "sub-folder per class, or generate one with `ganlab data synth --out DIR`."
        )
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    names = _class_names(classes, positive_class, str(root))
    real_root = root.resolve()
    sources, excluded = [], []
    for cls in classes:
        for path in sorted((root / cls).rglob("*")):
            rel = path.relative_to(root)
            if path.is_dir() or any(part.startswith(".") for part in rel.parts):
                continue
            resolved = path.resolve()
            reason = ""
            if not _is_utf8(str(rel)):
                reason = SKIP_NOT_UTF8
            elif not follow_symlinks and not resolved.is_relative_to(real_root):
                reason = SKIP_OUTSIDE
            if reason:
                excluded.append((printable(rel.as_posix()), reason))
                continue
            sources.append(Source(str(resolved), rel.as_posix(), cls))
    return SourceList(tuple(sources), names, str(root), tuple(excluded))


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes of the name came back as surrogates
        return False
    return True


def printable(name: str) -> str:
    """``name`` with undecodable bytes shown as ``\\xNN`` (safe to print and write)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def list_manifest(manifest: Path, *, positive_class: str = "malignant") -> SourceList:
    """Files of a CSV manifest with columns ``path,label[,group]``; paths relative to the CSV."""
    manifest = Path(manifest)
    if not manifest.is_file():
        raise DataError(f"{manifest}: no such manifest file. Check data.manifest.")
    with manifest.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        columns = reader.fieldnames or []
        missing = [c for c in ("path", "label") if c not in columns]
        if missing:
            raise DataError(
                f"{manifest}: missing column(s) {', '.join(missing)}; a manifest needs a header "
                f"row with path,label and optionally group (found: {', '.join(columns)})."
            )
        rows = list(reader)
    sources = []
    for line, row in enumerate(rows, start=2):
        rel, label = (row.get("path") or "").strip(), (row.get("label") or "").strip()
        if not rel or not label:
            raise DataError(f"{manifest}:{line}: empty path or label; fill both or drop the row.")
        path = Path(rel) if Path(rel).is_absolute() else manifest.parent / rel
        group = (row.get("group") or "").strip()
        sources.append(Source(str(path.resolve()), rel, label, group))
    names = _class_names(sorted({s.class_name for s in sources}), positive_class, str(manifest))
    return SourceList(tuple(sources), names, str(manifest))
