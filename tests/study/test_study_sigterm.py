"""SIGTERM (``kill``, a job scheduler's stop) takes Ctrl-C's path: trial marked, nothing lost."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState
from study_helpers import run_cli_subprocess

from ganlab.study import StudyLayout, open_storage

optuna.logging.set_verbosity(optuna.logging.ERROR)


@pytest.mark.slow
def test_sigterm_mid_trial_fails_it_with_the_reason_and_keeps_completed(
        write_study, tmp_path: Path) -> None:
    study_file = write_study(n_trials=3, epochs=10)
    layout = StudyLayout.of("tiny", tmp_path / "runs")
    proc = run_cli_subprocess("study", "run", str(study_file), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 180
    trials: list[optuna.trial.FrozenTrial] = []
    while time.time() < deadline and proc.poll() is None:
        if layout.journal.exists():
            storage = open_storage(None, layout)
            studies = storage.get_all_studies()
            trials = storage.get_all_trials(studies[0]._study_id) if studies else []
            if (any(t.state == TrialState.COMPLETE for t in trials)
                    and any(t.state == TrialState.RUNNING for t in trials)):
                break
        time.sleep(0.1)
    assert proc.poll() is None, "the study ended before it could be stopped"
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)

    assert proc.returncode == 143, out
    assert "terminated (SIGTERM)" in out and "Traceback" not in out
    storage = open_storage(None, layout)
    trials = storage.get_all_trials(storage.get_all_studies()[0]._study_id)
    assert not any(t.state == TrialState.RUNNING for t in trials)
    failed = [t for t in trials if t.state == TrialState.FAIL]
    reason = failed[0].user_attrs["fail_reason"] if failed else None
    assert reason == "interrupted (SIGTERM); rerun to continue"
    assert any(t.state == TrialState.COMPLETE for t in trials)
