"""A study never ends short while saying it succeeded (issue 12, fault 3).

A RUNNING trial without worker attributes (its worker was killed between creating it and
recording itself) counted as alive for 120 s: ``--n-trials 3`` ended with 2 finished trials,
"0 started now", and the trial left RUNNING.
"""

from __future__ import annotations

import datetime
import json
import socket
from pathlib import Path

import optuna
import pytest
from optuna.trial import FrozenTrial, TrialState
from study_helpers import fake_pipeline as _fake_pipeline

from ganlab.config import load_config
from ganlab.study import RunContext, StudyLayout, open_storage, optimize_study
from ganlab.study.storage import _workers

optuna.logging.set_verbosity(optuna.logging.ERROR)




def _add_running(storage, *, user_attrs: dict | None = None) -> int:
    """A RUNNING trial as a killed worker leaves it; returns its number."""
    study_id = storage.get_all_studies()[0]._study_id
    template = FrozenTrial(
        number=-1, state=TrialState.RUNNING, value=None, values=None,
        datetime_start=datetime.datetime.now(), datetime_complete=None, params={},
        distributions={}, user_attrs=user_attrs or {}, system_attrs={},
        intermediate_values={}, trial_id=-1,
    )
    trial_id = storage.create_new_trial(study_id, template_trial=template)
    return storage.get_trial(trial_id).number


def _trials(layout: StudyLayout) -> list[FrozenTrial]:
    storage = open_storage(None, layout)
    return storage.get_all_trials(storage.get_all_studies()[0]._study_id)


def test_unclaimed_running_trial_is_failed_after_the_grace_period_and_replaced(
    write_study, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_workers, "UNCLAIMED_AFTER", 2.0)
    cfg = load_config(write_study("short", n_trials=2))
    optimize_study(cfg, RunContext.from_config(cfg, pipeline=_fake_pipeline), n_trials=2)
    layout = StudyLayout.of("short", tmp_path / "runs")
    zombie = _add_running(open_storage(None, layout))  # young: within the grace period

    summary = optimize_study(cfg, RunContext.from_config(cfg, pipeline=_fake_pipeline), n_trials=3)

    assert summary.n_finished == 3 and summary.n_started == 1
    by_number = {t.number: t for t in _trials(layout)}
    assert by_number[zombie].state == TrialState.FAIL
    assert by_number[zombie].user_attrs["fail_reason"] == _workers.UNCLAIMED_REASON
    assert not [t for t in by_number.values() if t.state == TrialState.RUNNING]


def test_started_now_counts_the_retry_of_a_dead_workers_trial(
    write_study, tmp_path: Path
) -> None:
    cfg = load_config(write_study("restart", n_trials=2))
    optimize_study(cfg, RunContext.from_config(cfg, pipeline=_fake_pipeline), n_trials=1)
    layout = StudyLayout.of("restart", tmp_path / "runs")
    dead = {_workers.HOST_ATTR: socket.gethostname(), _workers.PID_ATTR: 2**22 + 7,
            _workers.TOKEN_ATTR: "gone"}
    killed = _add_running(open_storage(None, layout), user_attrs=dead)

    summary = optimize_study(cfg, RunContext.from_config(cfg, pipeline=_fake_pipeline), n_trials=2)

    assert summary.failed_dead == [killed]
    assert summary.n_finished == 2
    assert summary.n_started == 1  # the re-queued retry ran now (it said 0 before)


def test_torn_end_of_a_finished_trial_keeps_it_complete(write_study, tmp_path: Path) -> None:
    """The journal's last line (the trial's COMPLETE) torn by a kill; its metrics.json exists."""
    cfg = load_config(write_study("torn", n_trials=1))
    optimize_study(cfg, RunContext.from_config(cfg, pipeline=_fake_pipeline), n_trials=1)
    layout = StudyLayout.of("torn", tmp_path / "runs")
    data = layout.journal.read_bytes()
    last = data.rstrip(b"\n").rfind(b"\n") + 1
    assert b'"op_code":6' in data[last:]  # the last record is the trial's state change
    layout.journal.write_bytes(data[: last + 20])  # a kill in the middle of that append

    summary = optimize_study(cfg, RunContext.from_config(cfg, pipeline=_fake_pipeline), n_trials=1)

    assert summary.failed_dead == [] and summary.n_started == 0
    (trial,) = _trials(layout)
    assert trial.state == TrialState.COMPLETE
    assert trial.values == [json.loads((layout.trial_dir(0) / "metrics.json").read_text())[
        "val.roc_auc"]]
