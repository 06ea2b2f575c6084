"""Workers of ``study run --jobs 2`` die with their parent (``kill -9`` included); SIGTERM
fails their trials with the reason and re-queues their parameters; a second ``study run`` of
one study waits for the first one's lock before the stages after the trials."""

from __future__ import annotations

import datetime
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState
from study_helpers import run_cli_subprocess

from ganlab.study import DIED_REASON, StudyLayout, open_storage
from ganlab.study.pool import StudyLock

optuna.logging.set_verbosity(optuna.logging.ERROR)

EPOCHS = 300  # trials of several seconds: a signal sent in its first 2 s lands in it
FRESH_S = 2.0

BASELINES = """
[baselines]
models = [{name = "compact_cnn", width = 4, depth = 2}]
seeds = [0]
"""


def _trials(layout: StudyLayout) -> list[optuna.trial.FrozenTrial]:
    if not layout.journal.exists():
        return []
    storage = open_storage(None, layout)
    studies = storage.get_all_studies()
    return storage.get_all_trials(studies[0]._study_id) if studies else []


def _children(pid: int) -> list[int]:
    """Every process whose parent is ``pid`` (the workers and the resource tracker)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its reaper does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _metrics_written(layout: StudyLayout, trial: optuna.trial.FrozenTrial) -> bool:
    """Whether ``trial``'s run wrote its ``metrics.json`` (its last file before Optuna's tell)."""
    folder = Path(trial.user_attrs.get("dir") or layout.trial_dir(trial.number))
    return (folder / "metrics.json").exists()


def _metrics(layout: StudyLayout, trial: optuna.trial.FrozenTrial) -> dict:
    folder = Path(trial.user_attrs.get("dir") or layout.trial_dir(trial.number))
    return json.loads((folder / "metrics.json").read_text())


def _just_started(trial: optuna.trial.FrozenTrial) -> bool:
    """Whether ``trial`` started less than :data:`FRESH_S` ago (so that a signal sent now
    lands while it trains: its trials last several times longer)."""
    start = trial.datetime_start
    if start is None:
        return False
    now = datetime.datetime.now(start.tzinfo)
    return (now - start).total_seconds() < FRESH_S


def _start_until_workers_run_trials(study_file: Path, layout: StudyLayout
                                    ) -> tuple[subprocess.Popen, list[int]]:
    """Start ``study run --jobs 2``; return once a trial finished and one has just started
    training in a worker (its ``metrics.json`` not yet written)."""
    proc = run_cli_subprocess("study", "run", str(study_file), "--jobs", "2", "--log-format",
                              "plain", stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        trials = _trials(layout)
        training = [t for t in trials if t.state == TrialState.RUNNING and t.params
                    and t.user_attrs.get("ganlab:pid") not in (None, proc.pid)
                    and _just_started(t) and not _metrics_written(layout, t)]
        if training and any(t.state == TrialState.COMPLETE for t in trials):
            return proc, _children(proc.pid)
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"no trial ran in a worker: {proc.communicate()[0]}")


def _kept_params(retry: optuna.trial.FrozenTrial, stopped: optuna.trial.FrozenTrial) -> bool:
    """The retry ran with the stopped trial's parameters; one stopped before the sampler
    suggested any (the other worker's trial may be that young) had none to keep."""
    return retry.params == stopped.params if stopped.params else bool(retry.params)


def _wait_gone(pids: list[int], seconds: float = 15) -> list[int]:
    deadline = time.time() + seconds
    while time.time() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if _alive(p)]


def _finish(study_file: Path, *args: str) -> str:
    proc = run_cli_subprocess("study", "run", str(study_file), *args, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    out, _ = proc.communicate(timeout=400)
    assert proc.returncode == 0, out
    return out


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_kill_9_of_the_parent_ends_its_workers_and_their_trials_are_retried(
        write_study, tmp_path: Path) -> None:
    study_file = write_study(n_trials=4, epochs=EPOCHS)
    layout = StudyLayout.of("tiny", tmp_path / "runs")
    proc, children = _start_until_workers_run_trials(study_file, layout)
    assert len(children) >= 2  # two workers (and the resource tracker)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert _wait_gone(children) == [], "workers outlived their parent"
    running = [t for t in _trials(layout) if t.state == TrialState.RUNNING]
    # a trial killed after its metrics.json and before Optuna's tell had finished: the next
    # run records it COMPLETE from that file; one killed while training is failed and retried
    killed = [t.number for t in running if not _metrics_written(layout, t)]
    finished = {t.number: _metrics(layout, t) for t in running if _metrics_written(layout, t)}
    assert killed

    _finish(study_file, "--jobs", "2")
    trials = _trials(layout)
    by_number = {t.number: t for t in trials}
    for number in killed:  # failed as a dead worker's, then retried with its parameters
        assert by_number[number].state == TrialState.FAIL
        assert by_number[number].user_attrs["fail_reason"] == DIED_REASON
        retry = [t for t in trials if t.system_attrs.get("failed_trial") == number]
        assert retry and _kept_params(retry[0], by_number[number])
    for number, metrics in finished.items():
        assert by_number[number].state == TrialState.COMPLETE
        assert by_number[number].value == pytest.approx(metrics["val.roc_auc"])
    assert sum(t.state == TrialState.COMPLETE for t in trials) == 4
    assert not any(t.state == TrialState.RUNNING for t in trials)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_sigterm_fails_the_workers_trials_with_the_reason_and_retries_them(
        write_study, tmp_path: Path) -> None:
    study_file = write_study(n_trials=4, epochs=EPOCHS)
    layout = StudyLayout.of("tiny", tmp_path / "runs")
    proc, children = _start_until_workers_run_trials(study_file, layout)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 143, out
    assert "terminated (SIGTERM)" in out and "Traceback" not in out
    assert _wait_gone(children) == []

    trials = _trials(layout)
    assert not any(t.state == TrialState.RUNNING for t in trials)
    stopped = [t for t in trials if t.state == TrialState.FAIL]
    assert any(t.params for t in stopped)
    for t in stopped:
        assert t.user_attrs["fail_reason"] == "interrupted (SIGTERM); rerun to continue"
        queued = [w for w in trials if w.system_attrs.get("failed_trial") == t.number]
        assert [w.state for w in queued] == [TrialState.WAITING]
        assert queued[0].params == t.params

    _finish(study_file, "--jobs", "2")
    trials = _trials(layout)
    for t in stopped:  # the retry ran with the stopped trial's parameters
        retry = [w for w in trials if w.system_attrs.get("failed_trial") == t.number]
        assert retry[0].state == TrialState.COMPLETE and _kept_params(retry[0], t)
    assert sum(t.state == TrialState.COMPLETE for t in trials) == 4


def _waits_for_the_lock(layout: StudyLayout, locked: Path, *args: str) -> None:
    """Run ``ganlab *args`` while the study lock is held: it says it waits, writes nothing
    under ``locked`` until the lock is released, then finishes (exit 0)."""
    lock = StudyLock(layout)  # held by "another study run" of the same study
    assert lock.try_acquire()
    proc = run_cli_subprocess(*args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    lines: list[str] = []
    try:
        for line in proc.stdout:  # type: ignore[union-attr]
            lines.append(line)
            if "waiting for it to finish" in line:
                break
        assert any("waiting for it to finish" in line for line in lines), "".join(lines)
        time.sleep(3)
        assert proc.poll() is None  # it waits ...
        assert not locked.exists()  # ... without writing the locked stages
    finally:
        lock.release()
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, "".join(lines) + out


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_second_run_waits_for_the_study_lock_before_the_later_stages(
        write_study, tmp_path: Path, jobs: str) -> None:
    study_file = write_study(n_trials=1, extra=BASELINES)
    layout = StudyLayout.of("tiny", tmp_path / "runs")
    _waits_for_the_lock(layout, layout.baselines, "study", "run", str(study_file), "--jobs",
                        jobs, "--log-format", "plain")
    assert (layout.baselines / "results.json").exists()
    assert os.path.exists(layout.root / "study.lock")


ABLATION = """
[ablation]
factors = {"classifier.batch_size" = [32, 16]}
seeds = [0]
"""


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_study_ablate_waits_for_the_study_lock(write_study, tmp_path: Path) -> None:
    study_file = write_study(n_trials=1, extra=ABLATION)
    layout = StudyLayout.of("tiny", tmp_path / "runs")
    _waits_for_the_lock(layout, layout.ablation, "study", "ablate", str(study_file))
    assert (layout.ablation / "results.json").exists()
