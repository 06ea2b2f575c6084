"""The journal file of a study: its ``flock`` lock and the repair of a torn last line.

**Default: Optuna's journal file storage** (``runs/<study>/optuna.journal``), not SQLite.
The journal is an append-only log of JSON lines: every write is one ``append`` under a file
lock, followed by ``fsync``, so several local worker processes (``--jobs``) share it without
SQLite's "database is locked" errors under concurrent writers, a kill can at worst leave a
half-written last line (repaired at start-up, see :func:`repair_journal`), and
``optuna-dashboard runs/<study>/optuna.journal`` opens it directly. SQLite would need
retries around every write and is unsafe on network file systems.

The lock is a kernel ``flock`` on ``optuna.journal.lock`` rather than Optuna's default
symlink lock: the kernel drops a ``flock`` when its process dies, so a worker killed with
SIGKILL while writing never leaves a stale lock that blocks everyone for a 30 s grace period.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

# Optuna 4 and 5 define the journal lock base class in a private module (not re-exported)
from optuna.storages.journal._file import BaseJournalFileLock

from ganlab.errors import GanlabError
from ganlab.io import atomic_write_bytes, file_lock


class FlockLock(BaseJournalFileLock):
    """Optuna's journal-file lock as :func:`ganlab.io.file_lock` (a kernel ``flock``).

    A subclass of Optuna's ``BaseJournalFileLock``: the kernel releases the lock when its holder
    dies, so a worker killed while writing never blocks the others.
    """

    def __init__(self, path: str | Path) -> None:
        self._lock = file_lock(path)

    def acquire(self) -> bool:
        self._lock.acquire()
        return True

    def release(self) -> None:
        self._lock.release()


def repair_journal(path: Path) -> int:
    """Cut a half-written last line (a writer killed mid-append); returns the bytes removed.

    The cut bytes are kept in ``<journal>.torn`` for inspection.
    """
    if not path.exists() or path.stat().st_size == 0:
        return 0
    lock = FlockLock(f"{path}.lock")
    lock.acquire()
    try:
        with path.open("rb+") as fh:
            data = fh.read()
            if data.endswith(b"\n"):
                return 0
            keep = data.rfind(b"\n") + 1
            with open(f"{path}.torn", "ab") as torn:
                torn.write(data[keep:] + b"\n")
            fh.truncate(keep)
            fh.flush()
            os.fsync(fh.fileno())
            return len(data) - keep
    finally:
        lock.release()


_CREATE_STUDY, _CREATE_TRIAL = 0, 4  # optuna's JournalOperation codes


def find_corrupt_line(path: Path) -> tuple[int, int] | None:
    """(byte offset, line number) of the first complete line that is not JSON, else ``None``.

    A half-written last line (no newline yet) is not corruption: a writer may be appending it,
    or a kill cut it (:func:`repair_journal` removes it).
    """
    if not path.exists():
        return None
    offset = 0
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.endswith(b"\n"):
                break
            try:
                json.loads(line)
            except ValueError:
                return offset, number
            offset += len(line)
    return None


def check_journal(path: Path, study_name: str) -> None:
    """Raise a :class:`~ganlab.errors.GanlabError` naming the first corrupt line of ``path``."""
    bad = find_corrupt_line(path)
    if bad is not None:
        raise GanlabError(
            f"{path}: corrupt record at byte {bad[0]} (line {bad[1]}); the journal cannot be "
            f"read past it. Repair it with `ganlab study repair {study_name}`: it keeps a copy "
            "of the file and recovers every intact record"
        )


def rebuild_journal(path: Path) -> dict[str, Any]:
    """Rewrite ``path`` with every intact record; corrupt lines go to ``<journal>.torn``.

    The original is copied to ``<journal>.bak-<time>`` first. A corrupt line that was a
    trial's creation record (later records name a trial that was never created) is replaced by
    a placeholder creation, so every later trial keeps its number and its records; anything
    else that was corrupt is dropped.

    Returns:
        ``{"backup": path, "dropped": [offsets], "placeholders": n, "kept": n}``.
    """
    import shutil
    import time

    lock = FlockLock(f"{path}.lock")
    lock.acquire()
    try:
        data = path.read_bytes()
        backup = path.with_name(f"{path.name}.bak-{time.strftime('%Y%m%dT%H%M%S')}")
        shutil.copy2(path, backup)
        lines, offset = [], 0
        for raw in data.splitlines(keepends=True):
            try:
                record = json.loads(raw) if raw.endswith(b"\n") else None
            except ValueError:
                record = None
            lines.append((offset, raw, record))
            offset += len(raw)
        kept, dropped, placeholders = _replay_repair(lines)
        out = b"".join(json.dumps(r, separators=(",", ":")).encode() + b"\n" for r in kept)
        if dropped:
            with open(f"{path}.torn", "ab") as torn:
                torn.write(b"".join(raw.rstrip(b"\n") + b"\n" for _, raw in dropped))
        atomic_write_bytes(path, out)
    finally:
        lock.release()
    return {"backup": backup, "dropped": [o for o, _ in dropped],
            "placeholders": placeholders, "kept": len(kept) - placeholders}


def _replay_repair(
    lines: list[tuple[int, bytes, dict | None]],
) -> tuple[list[dict], list[tuple[int, bytes]], int]:
    """(records to keep, dropped (offset, line) pairs, placeholders added)."""
    import datetime

    kept: list[dict] = []
    dropped: list[tuple[int, bytes]] = []
    created, study_id, placeholders = 0, 0, 0
    for i, (offset, raw, record) in enumerate(lines):
        if record is not None:
            if record.get("op_code") == _CREATE_TRIAL:
                created += 1
                study_id = record.get("study_id", study_id)
            elif record.get("op_code") == _CREATE_STUDY:
                study_id = record.get("study_id", study_id)
            kept.append(record)
            continue
        dropped.append((offset, raw))
        if _refers_to_uncreated(lines[i + 1:], created):
            kept.append({"op_code": _CREATE_TRIAL, "worker_id": "ganlab-repair",
                         "study_id": study_id,
                         "datetime_start": datetime.datetime.now().isoformat(timespec="seconds"),
                         "user_attrs": {"ganlab:repaired": f"creation record lost at byte "
                                                           f"{offset}"}})
            created += 1
            placeholders += 1
    return kept, dropped, placeholders


def _refers_to_uncreated(rest: list[tuple[int, bytes, dict | None]], created: int) -> bool:
    """Whether a record before the next trial creation names trial id ``created``."""
    for _, _, record in rest:
        if record is None:
            continue
        if record.get("op_code") == _CREATE_TRIAL:
            return False
        if record.get("trial_id") == created:
            return True
    return False
