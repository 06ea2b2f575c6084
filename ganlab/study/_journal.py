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

import fcntl
import os
from pathlib import Path


class FlockLock:
    """A journal-file lock held with ``flock``; the kernel releases it when the holder dies.

    Implements the ``acquire``/``release`` contract of Optuna's journal file locks.
    """

    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        self._fd: int | None = None

    def acquire(self) -> bool:
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)



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
