"""Sampler and pruner factories."""

from __future__ import annotations

import optuna
import pytest

from ganlab.config import PluginRef, config_from_dict
from ganlab.errors import ConfigError
from ganlab.study import create_pruner, create_sampler, expand_search_space

optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.mark.parametrize(
    ("name", "cls"),
    [("tpe", optuna.samplers.TPESampler), ("random", optuna.samplers.RandomSampler),
     ("cmaes", optuna.samplers.CmaEsSampler), ("nsga2", optuna.samplers.NSGAIISampler)],
)
def test_samplers_by_name(name: str, cls: type) -> None:
    assert isinstance(create_sampler(PluginRef(name), seed=0, params=[]), cls)


def test_sampler_parameters_are_passed_through_and_checked() -> None:
    s = create_sampler(PluginRef("tpe", {"n_startup_trials": 3}), seed=1, params=[])
    assert s._n_startup_trials == 3
    with pytest.raises(ConfigError, match="bad parameter"):
        create_sampler(PluginRef("random", {"nope": 1}), seed=0, params=[])
    with pytest.raises(ConfigError, match="unknown sampler 'bayes'"):
        create_sampler(PluginRef("bayes"), seed=0, params=[])
    with pytest.raises(ConfigError, match="one objective"):
        create_sampler(PluginRef("cmaes"), seed=0, params=[], n_objectives=2)


def test_grid_sampler_visits_every_point_once() -> None:
    cfg = config_from_dict({"study": {"name": "g"}, "search": {
        "classifier.batch_size": [16, 32], "gan.epochs": {"type": "int", "low": 1, "high": 2}}})
    sampler = create_sampler(PluginRef("grid"), seed=0, params=expand_search_space(cfg))
    study = optuna.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_categorical("classifier.batch_size", [16, 32])
                   + t.suggest_int("gan.epochs", 1, 2), n_trials=10)
    points = {(t.params["classifier.batch_size"], t.params["gan.epochs"]) for t in study.trials}
    assert len(study.trials) == 4 and points == {(16, 1), (16, 2), (32, 1), (32, 2)}


@pytest.mark.parametrize(
    ("ref", "cls"),
    [(PluginRef("median", {"n_warmup_steps": 2}), optuna.pruners.MedianPruner),
     (PluginRef("hyperband", {"min_resource": 1}), optuna.pruners.HyperbandPruner),
     (PluginRef("none"), optuna.pruners.NopPruner)],
)
def test_pruners_by_name(ref: PluginRef, cls: type) -> None:
    assert isinstance(create_pruner(ref), cls)


def test_unknown_pruner_and_bad_parameters() -> None:
    with pytest.raises(ConfigError, match="unknown pruner 'asha'.*median, hyperband, none"):
        create_pruner(PluginRef("asha"))
    with pytest.raises(ConfigError, match="bad parameter"):
        create_pruner(PluginRef("median", {"warmup": 1}))
