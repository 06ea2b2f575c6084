"""ganlab.io: the one cross-process lock (filelock, also under Optuna's journal) and read_state."""

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


# -- read_state: every state file read back through one helper (issue 25) ----------------------
CORRUPT_STATE = {"empty": (b"", "the file is empty"),
                 "bad-json": (b'{"broken', "not valid JSON"),
                 "a-list": (b"[1, 2]", "expected a JSON object, found list"),
                 "not-utf8": (b'{"a": "\xff"}', "not UTF-8 text")}


@pytest.mark.parametrize("case", list(CORRUPT_STATE))
def test_read_state_names_a_corrupt_file_in_one_line(tmp_path: Path, case: str) -> None:
    from ganlab.errors import StateFileError
    from ganlab.io import read_state

    data, why = CORRUPT_STATE[case]
    path = tmp_path / "study.json"
    path.write_bytes(data)
    with pytest.raises(StateFileError) as info:
        read_state(path, what="study record")
    message = str(info.value)
    assert message.startswith(f"{path}: corrupt study record: ") and why in message
    assert "\n" not in message
    assert path.read_bytes() == data  # raising leaves it


def test_read_state_sets_a_corrupt_cache_aside_or_warns(tmp_path: Path) -> None:
    import warnings

    from ganlab.errors import GanlabWarning
    from ganlab.io import read_state

    path = tmp_path / "metrics.json"
    path.write_text('{"broken')
    with pytest.warns(GanlabWarning, match="ignored"):
        assert read_state(path, what="run metrics", on_corrupt="warn") is None
    assert path.exists()
    with pytest.warns(GanlabWarning, match=r"set aside as metrics\.json\.corrupt-"):
        assert read_state(path, what="run metrics", on_corrupt="set_aside") is None
    assert not path.exists() and len(list(tmp_path.glob("metrics.json.corrupt-*"))) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_state(path, what="run metrics") is None  # missing: no warning
        path.write_text('{"a": 1}')
        assert read_state(path, what="run metrics") == {"a": 1}


def test_read_state_jsonl_and_csv(tmp_path: Path) -> None:
    from ganlab.errors import StateFileError
    from ganlab.io import read_state

    hist = tmp_path / "history.jsonl"
    hist.write_text('{"epoch": 0}\n{"epoch": 1}\n')
    assert read_state(hist, what="history", fmt="jsonl") == [{"epoch": 0}, {"epoch": 1}]
    hist.write_text('{"epoch": 0}\n{"epo')
    with pytest.raises(StateFileError, match="at line 2"):
        read_state(hist, what="history", fmt="jsonl")
    table = tmp_path / "predictions.csv"
    table.write_text("sample_id,label\na,1\n")
    assert read_state(table, what="p", fmt="csv", columns=("label",)) == [
        {"sample_id": "a", "label": "1"}]
    with pytest.raises(StateFileError, match="lacks the column"):
        read_state(table, what="p", fmt="csv", columns=("prob_positive",))
