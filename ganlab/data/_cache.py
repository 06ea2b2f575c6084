"""Atomic ``.npz`` files for the preprocessing cache (locks: :func:`ganlab.io.file_lock`)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ganlab.io import atomic_write_bytes


def save_npz(path: Path, meta: dict[str, Any], **arrays: np.ndarray) -> Path:
    """Write arrays plus a JSON ``meta`` dict as one uncompressed ``.npz``, atomically."""
    buf = io.BytesIO()
    np.savez(buf, meta=np.array(json.dumps(meta)), **arrays)
    return atomic_write_bytes(path, buf.getvalue())


def load_npz(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]] | None:
    """(meta, arrays) of a file written by :func:`save_npz`, or ``None`` if absent/unreadable."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        meta = json.loads(str(arrays.pop("meta")))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    return meta, arrays
