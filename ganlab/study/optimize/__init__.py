"""The Optuna side of a study: search space, samplers and pruners, per-trial seeds, the
objective, the pre-flight checks and the trials run in this process."""

from __future__ import annotations

from ganlab.study.optimize._objective import TrialObjective, metric_from_epoch
from ganlab.study.optimize._optimize import OptimizeSummary, load_or_create_study
from ganlab.study.optimize._preflight import check_finite, check_study
from ganlab.study.optimize._samplers import create_pruner, create_sampler
from ganlab.study.optimize._space import (
    SearchParam,
    apply_values,
    expand_search_space,
    sample_config,
)

__all__ = [
    "OptimizeSummary",
    "SearchParam",
    "TrialObjective",
    "apply_values",
    "check_finite",
    "check_study",
    "create_pruner",
    "create_sampler",
    "expand_search_space",
    "load_or_create_study",
    "metric_from_epoch",
    "sample_config",
]
