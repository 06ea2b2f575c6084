"""Optimizer plugins: study-file parameters reach torch, bad ones are plugin errors."""

from __future__ import annotations

import pytest
import torch

from ganlab.errors import PluginError
from ganlab.registry import OPTIMIZERS


def _params() -> list[torch.nn.Parameter]:
    return list(torch.nn.Linear(3, 2).parameters())


@pytest.mark.parametrize(
    ("name", "params", "cls", "group"),
    [
        ("adam", {"lr": 2e-4, "betas": [0.5, 0.999]}, torch.optim.Adam,
         {"lr": 2e-4, "betas": (0.5, 0.999)}),
        ("adamw", {"weight_decay": 0.05}, torch.optim.AdamW, {"weight_decay": 0.05}),
        ("sgd", {"lr": 0.1, "momentum": 0.5}, torch.optim.SGD, {"lr": 0.1, "momentum": 0.5}),
        ("rmsprop", {"lr": 1e-3}, torch.optim.RMSprop, {"lr": 1e-3}),
    ],
)
def test_parameters_reach_torch(name: str, params: dict, cls: type, group: dict) -> None:
    opt = OPTIMIZERS.create(name, _params(), **params)
    assert type(opt) is cls
    for key, value in group.items():
        assert opt.param_groups[0][key] == value


@pytest.mark.parametrize("name", ["adam", "adamw", "sgd", "rmsprop"])
def test_unset_parameters_fall_back_to_the_declared_defaults(name: str) -> None:
    """A parameter left unset (None) gets the default that ``plugins show`` lists."""
    declared = {p.name: p.default for p in OPTIMIZERS.parameters(name)}
    group = OPTIMIZERS.create(name, _params(), **dict.fromkeys(declared)).param_groups[0]
    for key, default in declared.items():
        if key in group:
            want = tuple(default) if isinstance(default, list | tuple) else default
            assert group[key] == want, key


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("adam", {"betas": [0.5]}, "betas"),
        ("adam", {"lr": -1.0}, "lr must be > 0"),
        ("sgd", {"momentum": 1.5}, "momentum"),
        ("rmsprop", {"beta": 0.9}, "no parameter"),
    ],
)
def test_bad_parameters_are_plugin_errors(name: str, params: dict, message: str) -> None:
    with pytest.raises(PluginError, match=message):
        OPTIMIZERS.create(name, _params(), **params)


@pytest.mark.parametrize("name", ["adam", "adamw", "sgd", "rmsprop"])
def test_declared_space_can_be_sampled(name: str) -> None:
    import optuna

    from ganlab.registry import parse_spec

    trial = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0)).ask()
    space = OPTIMIZERS.search_space(name)
    assert "lr" in space
    values = {k: parse_spec(v, where=k).suggest(trial, k) for k, v in space.items()}
    OPTIMIZERS.create(name, _params(), **values)
