"""A study killed with SIGKILL mid-trial, twice, keeps every completed trial."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState
from study_helpers import run_cli_subprocess

from ganlab.study import DIED_REASON, StudyLayout, open_storage

optuna.logging.set_verbosity(optuna.logging.ERROR)


def _trials(storage) -> list[optuna.trial.FrozenTrial]:
    studies = storage.get_all_studies()
    return storage.get_all_trials(studies[0]._study_id) if studies else []


def _owned_running(storage, pid: int) -> list[int]:
    return [t.number for t in _trials(storage)
            if t.state == TrialState.RUNNING and t.user_attrs.get("ganlab:pid") == pid]


def _kill_mid_trial(study_file: Path, storage, *, timeout: float = 120) -> int:
    """Start the study, SIGKILL it while one of its trials runs; returns that trial's number.

    A kill that lands between two trials kills no trial; the study is then started again.
    """
    for _ in range(3):
        proc = run_cli_subprocess("study", "run", str(study_file), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        deadline = time.time() + timeout
        try:
            while time.time() < deadline:
                done = any(t.state == TrialState.COMPLETE for t in _trials(storage))
                if done and _owned_running(storage, proc.pid):
                    time.sleep(0.2)  # let it write some of its files
                    proc.send_signal(signal.SIGKILL)
                    proc.wait(30)
                    break
                assert proc.poll() is None, "the study ended before it could be killed"
                time.sleep(0.05)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(30)
        killed = _owned_running(storage, proc.pid)  # still RUNNING after its worker died
        if killed:
            return killed[0]
    raise AssertionError("could not kill the study in the middle of a trial")


@pytest.mark.slow
def test_sigkill_twice_mid_trial_loses_no_completed_trial(write_study, tmp_path: Path) -> None:
    study_file = write_study(n_trials=4, epochs=10)
    layout = StudyLayout.of("tiny", tmp_path / "runs")
    layout.root.mkdir(parents=True)
    storage = open_storage(None, layout)

    killed = [_kill_mid_trial(study_file, storage)]
    completed = {t.number: t.values for t in _trials(storage) if t.state == TrialState.COMPLETE}
    killed.append(_kill_mid_trial(study_file, storage))
    completed2 = {t.number: t.values for t in _trials(storage) if t.state == TrialState.COMPLETE}
    assert completed.items() <= completed2.items()

    proc = run_cli_subprocess("study", "run", str(study_file), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out

    trials = _trials(open_storage(None, layout))
    by_number = {t.number: t for t in trials}
    for number, values in completed2.items():  # every completed trial intact
        assert by_number[number].state == TrialState.COMPLETE
        assert by_number[number].values == values
    for number in killed:  # zombie RUNNING trials were failed with the reason, then retried
        if (layout.trial_dir(number) / "metrics.json").exists():
            assert by_number[number].state == TrialState.COMPLETE  # killed after finishing
            continue
        assert by_number[number].state == TrialState.FAIL
        assert by_number[number].user_attrs["fail_reason"] == DIED_REASON
        assert any(number in t.system_attrs.get("retry_history", []) for t in trials)
    assert sum(t.state == TrialState.COMPLETE for t in trials) == 4
    assert not any(t.state == TrialState.RUNNING for t in trials)
    journal = layout.journal.read_bytes()
    assert journal.endswith(b"\n")
    for line in journal.splitlines():
        json.loads(line)
    for t in trials:
        if t.state == TrialState.COMPLETE:  # its files are complete JSON
            json.loads((layout.trial_dir(t.number) / "metrics.json").read_text())
