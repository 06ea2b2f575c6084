"""ganlab: GAN synthesis for skin-lesion classification as a plugin-based ablation framework."""

from __future__ import annotations

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
