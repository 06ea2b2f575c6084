"""Samplers and pruners are plugins: built from the study file, seeded, replaceable by a package.

Every registered sampler and pruner also passes its contract check (tests/plugins).
"""

from __future__ import annotations

import optuna
import pytest

from ganlab.config import PluginRef, config_from_dict
from ganlab.errors import ConfigError, PluginError
from ganlab.study import create_pruner, create_sampler, expand_search_space
from ganlab.testing import extra_entry_points, fake_entry_point

optuna.logging.set_verbosity(optuna.logging.WARNING)

THIRD_PARTY = '''
import optuna


def qmc(*, seed, search_space, n_objectives, scramble=True):
    """Quasi-Monte Carlo sampling."""
    sampler = optuna.samplers.QMCSampler(seed=seed, scramble=scramble)
    sampler.ganlab_space = sorted(search_space)
    return sampler


def patient(*, patience=3):
    """Optuna's PatientPruner around a median pruner."""
    return optuna.pruners.PatientPruner(optuna.pruners.MedianPruner(), patience=patience)
'''


def _params(search: dict) -> list:
    return expand_search_space(config_from_dict({"study": {"name": "s"}, "search": search}))


def _suggestions(sampler: optuna.samplers.BaseSampler, n: int = 5) -> list[float]:
    study = optuna.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=n)
    return [t.params["x"] for t in study.trials]


def test_a_package_registers_an_optuna_sampler_and_pruner(tmp_path, monkeypatch) -> None:
    (tmp_path / "acme_optuna.py").write_text(THIRD_PARTY)
    monkeypatch.syspath_prepend(str(tmp_path))
    eps = [fake_entry_point("ganlab.samplers", "qmc", "acme_optuna:qmc", package="acme"),
           fake_entry_point("ganlab.pruners", "patient", "acme_optuna:patient", package="acme")]
    params = _params({"classifier.batch_size": [16, 32]})
    with extra_entry_points(*eps):
        sampler = create_sampler(PluginRef("qmc", {"scramble": True}), seed=5, params=params)
        assert isinstance(sampler, optuna.samplers.QMCSampler)
        assert sampler.ganlab_space == ["classifier.batch_size"]  # the study's space reaches it
        again = create_sampler(PluginRef("qmc", {"scramble": True}), seed=5, params=params)
        assert _suggestions(sampler) == _suggestions(again)  # the seed reaches it
        pruner = create_pruner(PluginRef("patient", {"patience": 1}))
        assert isinstance(pruner, optuna.pruners.PatientPruner)


@pytest.mark.parametrize("name", ["tpe", "random", "nsga2"])
def test_the_worker_seed_decides_the_suggestions(name: str) -> None:
    def draw(seed: int) -> list[float]:
        return _suggestions(create_sampler(PluginRef(name), seed=seed, params=[]), n=12)

    assert draw(1) == draw(1)
    assert draw(1) != draw(2)


def test_sampler_parameters_reach_optuna_and_bad_ones_are_named() -> None:
    s = create_sampler(PluginRef("tpe", {"n_startup_trials": 3}), seed=1, params=[])
    assert s._n_startup_trials == 3
    with pytest.raises(PluginError, match=r"sampler plugin 'random' rejected its parameters "
                                          r"\{'nope': 1\}"):
        create_sampler(PluginRef("random", {"nope": 1}), seed=0, params=[])
    with pytest.raises(PluginError, match="unknown sampler plugin 'tpee'.*tpe"):
        create_sampler(PluginRef("tpee"), seed=0, params=[])
    with pytest.raises(ConfigError, match="one objective"):
        create_sampler(PluginRef("cmaes"), seed=0, params=[], n_objectives=2)


def test_grid_sampler_visits_every_point_once() -> None:
    params = _params({"classifier.batch_size": [16, 32],
                      "gan.epochs": {"type": "int", "low": 1, "high": 2},
                      "classifier.synthetic_ratio": {"type": "float", "low": 0.0, "high": 1.0,
                                                     "step": 0.5}})
    study = optuna.create_study(sampler=create_sampler(PluginRef("grid"), seed=0, params=params))
    study.optimize(lambda t: t.suggest_categorical("classifier.batch_size", [16, 32])
                   + t.suggest_int("gan.epochs", 1, 2)
                   + t.suggest_float("classifier.synthetic_ratio", 0.0, 1.0, step=0.5),
                   n_trials=20)
    points = {tuple(t.params.values()) for t in study.trials}
    assert len(study.trials) == 12 and len(points) == 12


def test_grid_sampler_rejects_a_continuous_parameter_by_name() -> None:
    params = _params({"gan.optimizer.lr": {"type": "float", "low": 1e-4, "high": 1e-3}})
    with pytest.raises(ConfigError, match=r'search\."gan.optimizer.lr": the grid sampler needs'):
        create_sampler(PluginRef("grid"), seed=0, params=params)


def test_pruner_parameters_reach_optuna_and_unknown_names_list_the_choices() -> None:
    pruner = create_pruner(PluginRef("median", {"n_warmup_steps": 2}))
    assert pruner._n_warmup_steps == 2
    with pytest.raises(PluginError, match="unknown pruner plugin 'asha'.*hyperband.*median.*none"):
        create_pruner(PluginRef("asha"))
    with pytest.raises(PluginError, match="rejected its parameters"):
        create_pruner(PluginRef("median", {"warmup": 1}))


def test_a_study_file_names_an_unknown_sampler_at_load_time() -> None:
    from ganlab.config import validate_plugins

    cfg = config_from_dict({"study": {"name": "s", "sampler": {"name": "tpee"}}})
    with pytest.raises(ConfigError, match="study.sampler.*tpe"):
        validate_plugins(cfg)
