"""A worker that stops answering (SIGSTOP, then SIGKILL, as a lost machine would) on a
PostgreSQL study: its RUNNING trial is failed by another worker once its heartbeat is
``3 * study.heartbeat_seconds`` old, and retried once with its parameters.

The stopped worker still holds its worker lock, so the local dead-worker check (which catches
a killed worker on the same host) cannot see it: only the heartbeat can."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState
from study_helpers import PG_URL, drop_pg_study, postgres_up, run_cli_subprocess

from ganlab.study.storage._storage import database_url
from ganlab.study.storage._workers import DIED_REASON, PID_ATTR, fail_reason

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not postgres_up(), reason="no PostgreSQL server on 127.0.0.1:5432 "
                       "(.ci/run installs and starts one)"),
]

HEARTBEAT_S = 1.0


@functools.cache
def _reader() -> optuna.storages.RDBStorage:
    """One storage, so one connection pool, for every poll of the test: a storage per poll
    keeps its connections until garbage collection, and the server allows 100."""
    return optuna.storages.RDBStorage(database_url(PG_URL))


def _trials(name: str) -> list[optuna.trial.FrozenTrial]:
    try:
        return optuna.load_study(study_name=name, storage=_reader()).get_trials()
    except KeyError:  # not created yet
        return []


def _wait_for(what: str, check, proc: subprocess.Popen, timeout: float = 180):
    """Poll ``check()`` until it returns something true; fail if ``proc`` ends first."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = check()
        if found:
            return found
        assert proc.poll() is None, f"the worker ended before {what}"
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _victims_trials(name: str, victim: subprocess.Popen) -> list[optuna.trial.FrozenTrial]:
    """The victim's RUNNING trials whose parameters the sampler has suggested."""
    return [t for t in _trials(name) if t.state == TrialState.RUNNING
            and t.user_attrs.get(PID_ATTR) == victim.pid and t.params]


def _stop_during_a_trial(name: str, victim: subprocess.Popen
                         ) -> tuple[optuna.trial.FrozenTrial, float]:
    """SIGSTOP the victim while it holds a trial with parameters, judged after the stop: a
    trial seen running before it could end between the check and the signal."""
    for _ in range(20):
        _wait_for("the victim started a trial", lambda: _victims_trials(name, victim), victim)
        os.killpg(victim.pid, signal.SIGSTOP)  # stops answering, keeps its locks
        stopped_at = time.time()
        time.sleep(0.2)  # a storage write in flight at the signal lands or never does
        held = _victims_trials(name, victim)
        if held:
            return held[0], stopped_at
        os.killpg(victim.pid, signal.SIGCONT)  # between trials: try again
    raise AssertionError("the victim was never stopped inside a trial")


@pytest.mark.parametrize("then", ["kill", "resume"])
def test_stopped_worker_trial_is_failed_by_heartbeat_and_retried_once(
    write_study, tmp_path: Path, then: str
) -> None:
    """``kill``: the stopped worker is SIGKILLed (a lost machine). ``resume``: it gets SIGCONT
    (a suspended machine that comes back): it goes on with other trials and exits 0."""
    name = f"hb-{uuid.uuid4().hex[:10]}"
    study_file = write_study(name, n_trials=4, epochs=4)
    args = ("study", "run", str(study_file), "--storage", PG_URL, "--trials-only",
            "--set", f"study.heartbeat_seconds={HEARTBEAT_S}")
    victim = run_cli_subprocess(*args, "--log-format", "plain", stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)  # its own process group
    survivor = run_cli_subprocess(*args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True)
    try:
        owned, stopped_at = _stop_during_a_trial(name, victim)
        failed = _wait_for("the stopped trial to be failed", lambda: [
            t for t in _trials(name) if t.number == owned.number and t.state == TrialState.FAIL
        ], survivor)[0]
        assert time.time() - stopped_at > 2 * HEARTBEAT_S  # not before the grace period
        os.killpg(victim.pid, signal.SIGKILL if then == "kill" else signal.SIGCONT)
        victim_out, _ = victim.communicate(timeout=300)
        out, _ = survivor.communicate(timeout=300)
        assert survivor.returncode == 0, out
        if then == "resume":
            assert victim.returncode == 0, victim_out
            assert f"trial {owned.number}" in victim_out and "declared dead" in victim_out
            assert "Traceback" not in victim_out

        trials = _trials(name)
        assert fail_reason(failed) == DIED_REASON
        retries = [t for t in trials if owned.number in t.system_attrs.get("retry_history", [])]
        assert len(retries) == 1  # retried once
        assert failed.params and retries[0].params == failed.params
        assert retries[0].state == TrialState.COMPLETE
        if then == "kill":
            assert retries[0].user_attrs[PID_ATTR] == survivor.pid  # not the dead worker's
        assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
        assert 4 <= sum(t.state == TrialState.COMPLETE for t in trials) <= 5  # 2 may start at once
        assert [t.state for t in trials].count(TrialState.FAIL) == 1
    finally:
        for proc in (victim, survivor):
            if proc.poll() is None:
                if proc is victim:
                    os.killpg(victim.pid, signal.SIGKILL)
                else:
                    proc.kill()
                proc.wait(30)
        drop_pg_study(name)


def test_database_storage_beats_at_the_configured_period_with_two_connections(
    tmp_path: Path,
) -> None:
    from ganlab.study import StudyLayout, open_storage

    storage = open_storage(PG_URL, StudyLayout.of("x", tmp_path), heartbeat_seconds=2.5)
    assert storage.get_heartbeat_interval() == 2.5
    assert storage.grace_period == 7.5
    assert storage.engine.pool.size() == 2 and storage.engine.pool._max_overflow == 0
