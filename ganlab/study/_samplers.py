"""Optuna samplers and pruners from the study file's ``sampler`` and ``pruner`` tables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ganlab.errors import ConfigError

if TYPE_CHECKING:
    import optuna

    from ganlab.config import PluginRef
    from ganlab.study._space import SearchParam

SAMPLERS = ("tpe", "random", "grid", "cmaes", "nsga2")
PRUNERS = ("median", "hyperband", "none")


def create_sampler(
    ref: PluginRef, *, seed: int, params: list[SearchParam], n_objectives: int = 1
) -> optuna.samplers.BaseSampler:
    """The sampler named by ``ref`` (``tpe``, ``random``, ``grid``, ``cmaes``, ``nsga2``).

    Args:
        ref: ``study.sampler``; its parameters go to the Optuna sampler's constructor.
        seed: Sampler seed (each worker process passes its own).
        params: The expanded search space (the grid sampler's grid is built from it).
        n_objectives: Number of objectives; CMA-ES supports only one.
    """
    import optuna

    from ganlab.study._space import grid_space

    name, kw = ref.name, dict(ref.params)
    if name == "tpe":
        factory: Any = optuna.samplers.TPESampler
    elif name == "random":
        factory = optuna.samplers.RandomSampler
    elif name == "grid":
        kw.setdefault("search_space", grid_space(params))
        factory = optuna.samplers.GridSampler
    elif name == "cmaes":
        if n_objectives > 1:
            raise ConfigError("study.sampler: cmaes optimises one objective; use nsga2 or tpe")
        _require("cmaes", "cmaes")
        factory = optuna.samplers.CmaEsSampler
    elif name == "nsga2":
        factory = optuna.samplers.NSGAIISampler
    else:
        raise ConfigError(
            f"study.sampler: unknown sampler {name!r}; choose one of {', '.join(SAMPLERS)}"
        )
    try:
        return factory(seed=seed, **kw)
    except TypeError as exc:
        raise ConfigError(f"study.sampler: {name}: bad parameter: {exc}") from exc


def create_pruner(ref: PluginRef) -> optuna.pruners.BasePruner:
    """The pruner named by ``ref`` (``median``, ``hyperband`` or ``none``)."""
    import optuna

    factories: dict[str, Any] = {
        "median": optuna.pruners.MedianPruner,
        "hyperband": optuna.pruners.HyperbandPruner,
        "none": optuna.pruners.NopPruner,
    }
    if ref.name not in factories:
        raise ConfigError(
            f"study.pruner: unknown pruner {ref.name!r}; choose one of {', '.join(PRUNERS)}"
        )
    try:
        return factories[ref.name](**ref.params)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"study.pruner: {ref.name}: bad parameter: {exc}") from exc


def _require(module: str, package: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ConfigError(f"study.sampler: needs the {package!r} package; `pip install {package}`")
