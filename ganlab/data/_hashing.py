"""Content hashes of input files, memoised by (path, size, mtime) so a warm run reads no pixels."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

from ganlab.io import atomic_write_text, read_state

MEMO_NAME = "file-hashes.json"


def file_sha256(path: str) -> str:
    """SHA-256 of a file's bytes, or ``"unreadable"`` when it cannot be read."""
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return "unreadable"


def _stamp(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def content_hashes(paths: Sequence[str], *, memo_dir: Path | None = None) -> list[str]:
    """SHA-256 of each file; with ``memo_dir``, unchanged files (same size, mtime, inode) reuse
    the hash stored there by an earlier run."""
    memo: dict[str, list] = {}
    memo_path = Path(memo_dir) / MEMO_NAME if memo_dir is not None else None
    if memo_path is not None and memo_path.is_file():
        memo = read_state(memo_path, what="hash memo", on_corrupt="set_aside") or {}
    out, changed = [], False
    for path in paths:
        stamp = _stamp(path)
        hit = memo.get(path)
        if stamp is not None and hit is not None and hit[:3] == stamp:
            out.append(hit[3])
            continue
        digest = file_sha256(path)
        out.append(digest)
        if stamp is not None and digest != "unreadable":
            memo[path] = [*stamp, digest]
            changed = True
    if memo_path is not None and changed:
        atomic_write_text(memo_path, json.dumps(memo, separators=(",", ":")))
    return out


def digest_of(obj: object) -> str:
    """Short stable hash of a JSON-able object (cache keys, split fingerprints)."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]
