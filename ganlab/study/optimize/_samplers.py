"""Optuna samplers and pruners from the study file's ``sampler`` and ``pruner`` tables.

Both are plugin kinds (``ganlab.samplers``, ``ganlab.pruners``): the built-ins live in
``ganlab_plugins`` and a package registers its own Optuna sampler or pruner the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ganlab.registry import PRUNERS, SAMPLERS

if TYPE_CHECKING:
    import optuna

    from ganlab.config import PluginRef
    from ganlab.study.optimize._space import SearchParam


def distributions(params: list[SearchParam]) -> dict[str, Any]:
    """The expanded search space as Optuna distributions, ``{optuna name: distribution}``."""
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    out: dict[str, Any] = {}
    for p in params:
        s = p.spec
        if s.type == "float":
            out[p.name] = FloatDistribution(s.low, s.high, log=s.log, step=s.step)
        elif s.type == "int":
            out[p.name] = IntDistribution(int(s.low), int(s.high), log=s.log,
                                          step=int(s.step or 1))
        else:
            out[p.name] = CategoricalDistribution(list(s.choices))
    return out


def create_sampler(
    ref: PluginRef, *, seed: int, params: list[SearchParam], n_objectives: int = 1
) -> optuna.samplers.BaseSampler:
    """The sampler plugin named by ``ref`` (``tpe``, ``random``, ``grid``, ``cmaes``, ...).

    Args:
        ref: ``study.sampler``; its parameters go to the sampler factory.
        seed: Sampler seed (each worker process passes its own).
        params: The expanded search space (passed as Optuna distributions; the grid sampler
            builds its grid from it).
        n_objectives: Number of objectives (CMA-ES supports only one).
    """

    return SAMPLERS.create(ref.name, seed=seed, search_space=distributions(params),
                           n_objectives=n_objectives, **ref.params)


def create_pruner(ref: PluginRef) -> optuna.pruners.BasePruner:
    """The pruner plugin named by ``ref`` (``median``, ``hyperband``, ``none``, ...)."""

    return PRUNERS.create(ref.name, **ref.params)
