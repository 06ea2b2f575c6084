"""ganlab.io.file_lock: the one cross-process lock (filelock) and Optuna's journal lock on it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import filelock
import pytest

from ganlab.io import file_lock

HOLD = """
import sys, time
from ganlab.io import file_lock
lock = file_lock(sys.argv[1])
lock.acquire()
print("held", flush=True)
time.sleep(60)
"""


def test_a_lock_excludes_other_processes_and_dies_with_its_holder(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "x.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(filelock.Timeout):
            file_lock(path).acquire(timeout=0.2)
        os.kill(holder.pid, signal.SIGKILL)  # no cleanup runs: the kernel drops the flock
        holder.wait(timeout=10)
        with file_lock(path).acquire(timeout=5):
            assert path.exists()
    finally:
        holder.kill()
        holder.wait()


def test_threads_of_one_process_exclude_each_other(tmp_path: Path) -> None:
    import threading

    lock = file_lock(tmp_path / "t.lock")
    got: list[bool] = []
    with lock:
        t = threading.Thread(target=lambda: got.append(_try(lock)))
        t.start()
        t.join()
    assert got == [False]
    assert _try(lock)


def _try(lock: filelock.BaseFileLock) -> bool:
    try:
        lock.acquire(timeout=0.1)
    except filelock.Timeout:
        return False
    lock.release()
    return True


def test_optuna_journal_uses_the_lock(tmp_path: Path) -> None:
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalStorage
    from optuna.storages.journal._file import BaseJournalFileLock

    from ganlab.study.storage._journal import FlockLock

    lock = FlockLock(tmp_path / "j.log.lock")
    assert isinstance(lock, BaseJournalFileLock)
    storage = JournalStorage(JournalFileBackend(str(tmp_path / "j.log"), lock_obj=lock))
    study = optuna.create_study(storage=storage, study_name="lock-test")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert len(study.trials) == 3
    assert lock.acquire() and not _try(file_lock(tmp_path / "j.log.lock"))
    lock.release()
