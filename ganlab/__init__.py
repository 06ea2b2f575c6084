"""ganlab: GAN synthesis for skin-lesion classification as a plugin-based ablation framework.

Its jobs (prepare data, train and score a GAN, train and evaluate a classifier, run a study,
its ablation, its report) are library functions in :mod:`ganlab.jobs`, imported on first use
(``ganlab.jobs.run_study(cfg, ctx)``) so that ``import ganlab`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from ganlab.errors import ConfigError, DataError, GanlabError, PluginError, TrainingError

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DataError",
    "GanlabError",
    "PluginError",
    "TrainingError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    """``ganlab.jobs`` on first use, without importing it (and torch) with ``ganlab``."""
    if name == "jobs":
        return importlib.import_module("ganlab.jobs")
    raise AttributeError(f"module 'ganlab' has no attribute {name!r}")
