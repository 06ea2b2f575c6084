"""A study that optimises an offline GAN metric (``gan.tstr_roc_auc``) on the real pipeline."""

from __future__ import annotations

import json
import os

import optuna
import pytest
import torch

from ganlab.config import load_config
from ganlab.provenance import commit
from ganlab.study import StudyLayout, optimize_study, wants_gan_metrics
from ganlab.study.report._inspect import trial_metrics

optuna.logging.set_verbosity(optuna.logging.ERROR)

METRICS = """
[gan.metrics]
n_per_class = 100
k = 3
feature_epochs = 1
tstr_epochs = 1
feature_classifier = {name = "compact_cnn", width = 8, depth = 2}
tstr_classifier = {name = "compact_cnn", width = 8, depth = 2}
"""


@pytest.mark.slow
def test_a_study_optimises_tstr_roc_auc_and_flags_per_class_collapse(write_study) -> None:
    path = write_study("gantstr", n_trials=1, gan=True, search="", extra=METRICS)
    text = path.read_text().replace(
        "n_trials = 1", 'n_trials = 1\nobjectives = [{metric = "gan.tstr_roc_auc"}]')
    path.write_text(text.replace("[classifier]", "[classifier]\nenabled = false", 1))
    cfg = load_config(path)
    assert wants_gan_metrics(cfg)
    summary = optimize_study(cfg)
    trial = summary.study.trials[0]
    assert trial.state == optuna.trial.TrialState.COMPLETE, trial.user_attrs.get("fail_reason")
    metrics = trial_metrics(trial)
    assert trial.values[0] == metrics["gan.tstr_roc_auc"]
    assert {"gan.coverage", "gan.precision.benign", "gan.tstr_accuracy"} <= set(metrics)
    # a one-epoch 16 px GAN draws nearly one image per class: the trial carries the reason
    assert "per-class mode collapse" in trial.user_attrs["flags"][0]
    run = json.loads((StudyLayout.of("gantstr", cfg.study.output).trial_dir(0) / "run.json")
                     .read_text())
    assert run["flags"] == trial.user_attrs["flags"]
    where = run["environment"]  # what the run's figures are quoted with
    assert where["device"] == "cpu" and where["cores"] == os.cpu_count()
    assert where["commit"] == commit() and torch.__version__.startswith(where["torch"])
    assert where["wall_seconds"] > 0 and where["torch_threads"] >= 1


def test_gan_metrics_are_off_unless_enabled_or_named_by_an_objective(write_study) -> None:
    cfg = load_config(write_study("plain", gan=True))
    assert not wants_gan_metrics(cfg)
    path = write_study("cov", gan=True)
    path.write_text(path.read_text().replace(
        "n_trials = 2", 'n_trials = 2\nobjectives = [{metric = "gan.coverage.malignant"}]'))
    assert wants_gan_metrics(load_config(path))
