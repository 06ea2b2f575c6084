"""Sampler seeds per trial: distinct across workers and restarts, reproducible from the study.

Every worker process used to seed its sampler with ``study.seed``; two workers on one shared
storage (or a study restarted after a kill) then drew the same parameters. Here the sampler is
re-created before each trial with the seed ``trial_seed(study.seed, trial.number)``: trial
numbers are unique in a study (the storage assigns them), so no two trials share a seed,
whichever worker runs them and however often the study was restarted. The seed is a pure
function of the study seed and the trial number (recorded as the trial's
``ganlab:sampler_seed`` user attribute), so a study stays reproducible.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import optuna
    from optuna.distributions import BaseDistribution
    from optuna.trial import FrozenTrial, TrialState

SEED_ATTR = "ganlab:sampler_seed"


def trial_seed(study_seed: int, number: int) -> int:
    """The sampler seed of trial ``number`` (a 31-bit integer)."""
    digest = hashlib.sha256(f"ganlab-sampler:{study_seed}:{number}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def per_trial_sampler(
    factory: Callable[[int], optuna.samplers.BaseSampler], study_seed: int
) -> optuna.samplers.BaseSampler:
    """A sampler that delegates to ``factory(trial_seed(study_seed, n))`` for trial ``n``.

    Optuna's grid sampler is returned as ``factory(study_seed)`` itself: its seed fixes the
    order of the grid that its stored ``grid_id``s index, so it must be the same in every
    worker; it already gives each trial an unvisited grid point.
    """
    from optuna.samplers import BaseSampler, GridSampler

    first = factory(study_seed)
    if isinstance(first, GridSampler):
        return first

    class PerTrialSeedSampler(BaseSampler):
        """Delegates every call to an inner sampler re-created (re-seeded) per trial."""

        def __init__(self) -> None:
            self._inner = first

        def __getattr__(self, name: str) -> Any:  # sampler-specific attributes
            inner = self.__dict__.get("_inner")
            if inner is None:
                raise AttributeError(name)
            return getattr(inner, name)

        def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
            self._inner = factory(trial_seed(study_seed, trial.number))
            self._inner.before_trial(study, trial)

        def infer_relative_search_space(
            self, study: optuna.Study, trial: FrozenTrial
        ) -> dict[str, BaseDistribution]:
            return self._inner.infer_relative_search_space(study, trial)

        def sample_relative(self, study: optuna.Study, trial: FrozenTrial,
                            search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
            return self._inner.sample_relative(study, trial, search_space)

        def sample_independent(self, study: optuna.Study, trial: FrozenTrial, param_name: str,
                               param_distribution: BaseDistribution) -> Any:
            return self._inner.sample_independent(study, trial, param_name, param_distribution)

        def after_trial(self, study: optuna.Study, trial: FrozenTrial, state: TrialState,
                        values: Sequence[float] | None) -> None:
            self._inner.after_trial(study, trial, state, values)

        def reseed_rng(self) -> None:
            self._inner.reseed_rng()

    return PerTrialSeedSampler()
