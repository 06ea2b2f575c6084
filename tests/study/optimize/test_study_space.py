"""Search-space expansion: explicit specs, declared plugin spaces, conditions, grids."""

from __future__ import annotations

import optuna
import pytest

from ganlab.config import config_from_dict
from ganlab.errors import ConfigError
from ganlab.registry import FILTERS, LOSSES
from ganlab.study import expand_search_space, sample_config

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _cfg(search: dict, **sections) -> object:
    raw = {"study": {"name": "s"}, "search": search, **sections}
    return config_from_dict(raw)


def _sample(cfg, n: int = 1, sampler=None):
    params = expand_search_space(cfg)
    study = optuna.create_study(sampler=sampler or optuna.samplers.RandomSampler(seed=0))
    out = []
    for _ in range(n):
        trial = study.ask()
        trial_cfg, sampled = sample_config(trial, cfg, params)
        study.tell(trial, 0.0)
        out.append((trial, trial_cfg, sampled))
    return out


def test_explicit_specs_are_written_into_the_trial_config() -> None:
    cfg = _cfg({
        "gan.optimizer.lr": {"type": "float", "low": 1e-4, "high": 1e-3, "log": True},
        "classifier.batch_size": [32, 64],
    })
    (trial, trial_cfg, sampled), = _sample(cfg)
    assert 1e-4 <= trial_cfg.gan.optimizer.params["lr"] <= 1e-3
    assert trial_cfg.classifier.batch_size in (32, 64)
    assert trial_cfg.gan.optimizer.params["betas"] == [0.5, 0.999]  # untouched siblings kept
    assert sampled == {"gan.optimizer.lr": trial.params["gan.optimizer.lr"],
                       "classifier.batch_size": trial.params["classifier.batch_size"]}


def test_declared_filter_space_expands_to_each_declared_parameter() -> None:
    cfg = _cfg({"data.filters.bilateral": "declared"},
               data={"filters": [{"name": "bilateral"}, {"name": "gamma"}]})
    params = expand_search_space(cfg)
    assert {p.path for p in params} == {
        f"data.filters.bilateral.{k}" for k in FILTERS.search_space("bilateral")
    }
    (_, trial_cfg, sampled), = _sample(cfg)
    bilateral = trial_cfg.data.filters[0]
    assert bilateral.name == "bilateral" and bilateral.params["d"] % 2 == 1
    assert sampled["data.filters.bilateral.d"] == bilateral.params["d"]


def test_conditional_parameters_follow_the_sampled_plugin() -> None:
    cfg = _cfg({
        "gan.loss.name": ["bce", "wgan_gp"],
        "gan.loss": "declared",
        "gan.n_critic": {"type": "int", "low": 2, "high": 5, "when": {"gan.loss.name": "wgan_gp"}},
    })
    names = {p.name for p in expand_search_space(cfg)}
    assert {f"gan.loss[wgan_gp].{k}" for k in LOSSES.search_space("wgan_gp")} <= names
    seen = set()
    for trial, trial_cfg, _ in _sample(cfg, n=12):
        loss = trial_cfg.gan.loss.name
        seen.add(loss)
        if loss == "wgan_gp":
            assert "gan.n_critic" in trial.params and trial_cfg.gan.n_critic >= 2
            assert "gp_weight" in trial_cfg.gan.loss.params
            assert not any(k.startswith("gan.loss[bce]") for k in trial.params)
        else:
            assert "gan.n_critic" not in trial.params and trial_cfg.gan.n_critic == 1
            assert "gp_weight" not in trial_cfg.gan.loss.params
    assert seen == {"bce", "wgan_gp"}


def test_parameters_of_a_switched_off_filter_are_not_sampled() -> None:
    cfg = _cfg({"data.filters.gamma": [True, False],
                "data.filters.gamma.gamma": {"type": "float", "low": 1.0, "high": 2.0}},
               data={"filters": [{"name": "gamma"}]})
    for trial, trial_cfg, _ in _sample(cfg, n=8):
        if trial.params["data.filters.gamma"]:
            assert trial_cfg.data.filters[0].params["gamma"] == trial.params[
                "data.filters.gamma.gamma"]
        else:
            assert trial_cfg.data.filters == ()
            assert "data.filters.gamma.gamma" not in trial.params


@pytest.mark.parametrize(
    ("search", "data", "message"),
    [
        ({"gan.loss": "declared"}, {}, "declares no search space"),  # default loss bce has one
        ({"data.filters.clahe": "declared"}, {"filters": [{"name": "gamma"}]}, "not in data"),
        ({"study.seed": "declared"}, {}, "not a plugin table"),
        ({"gan.epochs": {"type": "int", "low": 1, "high": 3, "when": {"gan.nope": 1}}}, {},
         "can never hold"),
    ],
)
def test_bad_search_spaces_raise_config_errors(search: dict, data: dict, message: str) -> None:
    sections = {"data": data} if data else {}
    if message == "declares no search space":
        sections["gan"] = {"loss": {"name": "hinge"}}
    with pytest.raises(ConfigError, match=message):
        expand_search_space(_cfg(search, **sections))
