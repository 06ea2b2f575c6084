"""Optuna samplers: ``factory(*, seed, search_space, n_objectives, **options) -> BaseSampler``.

``seed`` is the sampler seed of this worker process, ``search_space`` the study's expanded
search space as Optuna distributions (``{name: BaseDistribution}``) and ``n_objectives`` the
number of objectives. The other keywords come from the study file's ``study.sampler`` table
and go to the Optuna constructor (see Optuna's documentation of each sampler).
"""

from __future__ import annotations

from typing import Any

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from ganlab.errors import ConfigError


def tpe(*, seed: int, search_space: dict[str, BaseDistribution], n_objectives: int,
        **options: Any) -> optuna.samplers.BaseSampler:
    """Tree-structured Parzen estimator (Optuna's default sampler)."""
    return optuna.samplers.TPESampler(seed=seed, **options)


def random(*, seed: int, search_space: dict[str, BaseDistribution], n_objectives: int,
           **options: Any) -> optuna.samplers.BaseSampler:
    """Independent uniform sampling (a baseline for the other samplers)."""
    return optuna.samplers.RandomSampler(seed=seed, **options)


def nsga2(*, seed: int, search_space: dict[str, BaseDistribution], n_objectives: int,
          **options: Any) -> optuna.samplers.BaseSampler:
    """NSGA-II genetic algorithm (multi-objective studies)."""
    return optuna.samplers.NSGAIISampler(seed=seed, **options)


def cmaes(*, seed: int, search_space: dict[str, BaseDistribution], n_objectives: int,
          **options: Any) -> optuna.samplers.BaseSampler:
    """CMA evolution strategy (one objective; needs the ``cmaes`` package)."""
    import importlib.util

    if n_objectives > 1:
        raise ConfigError("study.sampler: cmaes optimises one objective; use nsga2 or tpe")
    if importlib.util.find_spec("cmaes") is None:
        raise ConfigError("study.sampler: cmaes needs the 'cmaes' package; `pip install cmaes`")
    return optuna.samplers.CmaEsSampler(seed=seed, **options)


def grid(*, seed: int, search_space: dict[str, BaseDistribution], n_objectives: int,
         **options: Any) -> optuna.samplers.BaseSampler:
    """Every point of a discrete search space once (categorical or stepped ranges)."""
    options.setdefault("search_space", grid_points(search_space))
    return optuna.samplers.GridSampler(seed=seed, **options)


def grid_points(space: dict[str, BaseDistribution]) -> dict[str, list[Any]]:
    """The grid of ``space``: categorical choices and stepped, linear int/float ranges."""
    import numpy as np

    out: dict[str, list[Any]] = {}
    for name, d in space.items():
        if isinstance(d, CategoricalDistribution):
            out[name] = list(d.choices)
        elif isinstance(d, IntDistribution) and not d.log:
            out[name] = list(range(d.low, d.high + 1, d.step))
        elif isinstance(d, FloatDistribution) and d.step is not None and not d.log:
            n = int(round((d.high - d.low) / d.step))
            out[name] = [float(v) for v in np.round(d.low + d.step * np.arange(n + 1), 12)]
        else:
            raise ConfigError(
                f"search.\"{name}\": the grid sampler needs categorical parameters or int/float "
                "ranges with a step (and no log scale); give choices or a step, or use tpe"
            )
    return out
