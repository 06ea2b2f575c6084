"""Distinct parameters across restarts and workers (issue 12, fault 2).

Every restart of a study and every worker used to seed its sampler with ``study.seed`` alone,
so the first trial after each restart repeated trial 0's parameters.
"""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from study_helpers import fake_pipeline as _fake_pipeline

from ganlab.config import load_config
from ganlab.study import RunContext, StudyLayout, optimize_study
from ganlab.study.optimize._seeds import SEED_ATTR, trial_seed

optuna.logging.set_verbosity(optuna.logging.ERROR)




@pytest.mark.slow  # three CLI runs; fast: test_trial_seeds_are_distinct_and_reproducible
def test_three_restarts_draw_no_duplicated_parameters(write_study, tmp_path: Path) -> None:
    cfg = load_config(write_study("restarts", n_trials=2))
    for n in (2, 4, 6, 8):  # the first run, then three restarts, each asking for 2 more trials
        optimize_study(cfg, RunContext.from_config(cfg, pipeline=_fake_pipeline), n_trials=n)
    layout = StudyLayout.of("restarts", tmp_path / "runs")
    study = optuna.load_study(study_name="restarts",
                              storage=optuna.storages.JournalStorage(
                                  optuna.storages.journal.JournalFileBackend(
                                      str(layout.journal))))
    trials = study.get_trials()
    assert len(trials) == 8
    params = [tuple(sorted(t.params.items())) for t in trials]
    assert len(set(params)) == len(params)  # 0 duplicated parameter sets
    for t in trials:  # each trial records the seed it was sampled with
        assert t.user_attrs[SEED_ATTR] == trial_seed(cfg.study.seed, t.number)


def test_trial_seeds_are_distinct_and_reproducible() -> None:
    seeds = [trial_seed(0, n) for n in range(1000)]
    assert len(set(seeds)) == 1000
    assert seeds == [trial_seed(0, n) for n in range(1000)]
    assert trial_seed(1, 0) != trial_seed(0, 0)
