"""Optuna pruners: ``factory(**options) -> optuna.pruners.BasePruner``.

The keywords come from the study file's ``study.pruner`` table and go to the Optuna
constructor (see Optuna's documentation of each pruner).
"""

from __future__ import annotations

from typing import Any

import optuna


def median(**options: Any) -> optuna.pruners.BasePruner:
    """Stop a trial whose intermediate value is worse than the median of earlier trials."""
    return optuna.pruners.MedianPruner(**options)


def hyperband(**options: Any) -> optuna.pruners.BasePruner:
    """Hyperband: successive halving over several budgets."""
    return optuna.pruners.HyperbandPruner(**options)


def none() -> optuna.pruners.BasePruner:
    """Never prune."""
    return optuna.pruners.NopPruner()
