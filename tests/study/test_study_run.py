"""Running studies on the real pipeline: resume, faults inside trials, worker processes."""

from __future__ import annotations

import json
from importlib import metadata

import optuna
import pytest
from optuna.trial import TrialState

from ganlab.config import load_config
from ganlab.errors import GanlabError
from ganlab.registry import CLASSIFIERS
from ganlab.study import RunContext, StudyLayout, open_study, optimize_study
from ganlab.study.optimize._optimize import MAX_CONSECUTIVE_FAILURES
from ganlab.study.report._inspect import trial_metrics

optuna.logging.set_verbosity(optuna.logging.ERROR)


@pytest.mark.slow
@pytest.mark.parametrize("storage", ["journal", "sqlite"])
def test_a_rerun_continues_the_study_and_runs_only_missing_trials(
    write_study, tmp_path, storage: str
) -> None:
    cfg = load_config(write_study(n_trials=2))
    url = None if storage == "journal" else f"sqlite:///{tmp_path}/optuna.db"
    first = optimize_study(cfg, RunContext.from_config(cfg, storage=url))
    assert (first.n_finished, first.n_started) == (2, 2)
    values = {t.number: t.values for t in first.study.trials}
    again = optimize_study(cfg, RunContext.from_config(cfg, storage=url))  # nothing missing
    assert (again.n_finished, again.n_started) == (2, 0)
    more = optimize_study(cfg, RunContext.from_config(cfg, storage=url), n_trials=3)
    assert (more.n_finished, more.n_started) == (3, 1)
    study = open_study("tiny", output=cfg.study.output)
    assert {t.number: t.values for t in study.trials if t.number < 2} == values
    layout = StudyLayout.of("tiny", cfg.study.output)
    for t in study.trials:
        trial_dir = layout.trial_dir(t.number)
        metrics = json.loads((trial_dir / "metrics.json").read_text())
        assert metrics["val.roc_auc"] == pytest.approx(t.values[0])
        assert json.loads((trial_dir / "config.json").read_text())["classifier"]["optimizer"][
            "lr"] == pytest.approx(t.params["classifier.optimizer.lr"])
        assert (trial_dir / "classifier").is_dir() and "test.accuracy" in metrics
    assert optuna.artifacts.get_all_artifact_meta(study.trials[0], storage=study._storage)
    # per-epoch values were reported to the pruner
    reported = study.trials[0].intermediate_values
    assert list(reported) == [1] and 0.0 <= reported[1] <= 1.0


@pytest.mark.slow
def test_multi_objective_study_with_nsga2(write_study) -> None:
    path = write_study("multi", n_trials=2, sampler='{name = "nsga2"}', extra="")
    text = path.read_text().replace(
        'n_trials = 2', 'n_trials = 2\nobjectives = [{metric = "val.roc_auc", direction = '
        '"maximize"}, {metric = "val.accuracy", direction = "maximize"}]')
    path.write_text(text)
    summary = optimize_study(load_config(path))
    assert summary.n_finished == 2
    assert [d.name for d in summary.study.directions] == ["MAXIMIZE", "MAXIMIZE"]
    for t in summary.study.trials:
        recorded = trial_metrics(t)
        assert t.values == [recorded["val.roc_auc"], recorded["val.accuracy"]]


@pytest.fixture
def faulty_plugin():
    ep = metadata.EntryPoint("faulty", "ganlab_test_faulty:faulty_classifier",
                             "ganlab.classifiers")
    CLASSIFIERS.add_entry_point(ep)
    yield
    CLASSIFIERS._extra.remove(ep)
    CLASSIFIERS.refresh()


@pytest.mark.slow
def test_faults_fail_their_trial_with_reason_and_traceback_and_the_study_goes_on(
    write_study, faulty_plugin
) -> None:
    search = """
[search]
"classifier.model.fault" = ["raise", "oom", "nan"]
"""
    path = write_study(n_trials=1, sampler='{name = "grid"}', search=search)
    path.write_text(path.read_text().replace('name = "compact_cnn", width = 8, depth = 3',
                                             'name = "faulty"'))
    cfg = load_config(path)
    with pytest.raises(GanlabError, match="5 trials in a row failed"):
        optimize_study(cfg)  # every trial fails: the study goes on, then stops at the guard
    trials = open_study("tiny", output=cfg.study.output).trials
    assert len(trials) == MAX_CONSECUTIVE_FAILURES
    layout = StudyLayout.of("tiny", cfg.study.output)
    reasons = {}
    for t in trials:
        fault = t.params["classifier.model.fault"]
        assert t.state == TrialState.FAIL
        log = (layout.trial_dir(t.number) / "error.log").read_text()
        assert t.user_attrs["fail_reason"] in log and "Traceback" in log
        assert "Traceback" in t.user_attrs["traceback"]
        reasons[fault] = t.user_attrs["fail_reason"]
    assert reasons["raise"].startswith("PluginError") or "exploded" in reasons["raise"]
    assert "exploded" in reasons["raise"]
    assert reasons["oom"].startswith("out of memory")
    assert "nan" in reasons["nan"].lower()


@pytest.mark.slow
def test_two_worker_processes_share_the_journal_without_losing_or_repeating_trials(
    write_study,
) -> None:
    cfg = load_config(write_study(n_trials=4))
    summary = optimize_study(cfg, RunContext.from_config(cfg, jobs=2))
    trials = summary.study.trials
    assert summary.n_finished == 4
    assert [t.number for t in trials] == list(range(len(trials)))
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert 4 <= len(complete) <= 5  # two workers may start one trial in the same instant
    assert len({t.user_attrs["ganlab:pid"] for t in complete}) == 2
    assert len({json.dumps(t.params) for t in complete}) == len(complete)
