"""Plugin registries over Python entry points (one per kind) and search-space specs."""

from __future__ import annotations

from ganlab.registry._kinds import (
    AUGMENTATIONS,
    CLASSIFIERS,
    DISCRIMINATORS,
    FILTERS,
    GAN_AUGMENTATIONS,
    GENERATORS,
    LOSSES,
    OPTIMIZERS,
    PRUNERS,
    REGISTRIES,
    SAMPLERS,
    SYNTHESIS,
    registry_for,
)
from ganlab.registry._registry import (
    ALLOW_ENV,
    DISABLE_AUTOLOAD_ENV,
    ParamInfo,
    PluginInfo,
    Registry,
    autoload_disabled,
)
from ganlab.registry._space import ParamSpec, parse_spec

__all__ = [
    "ALLOW_ENV",
    "AUGMENTATIONS",
    "CLASSIFIERS",
    "DISABLE_AUTOLOAD_ENV",
    "DISCRIMINATORS",
    "FILTERS",
    "GAN_AUGMENTATIONS",
    "GENERATORS",
    "LOSSES",
    "OPTIMIZERS",
    "PRUNERS",
    "REGISTRIES",
    "SAMPLERS",
    "SYNTHESIS",
    "ParamInfo",
    "ParamSpec",
    "PluginInfo",
    "Registry",
    "autoload_disabled",
    "parse_spec",
    "registry_for",
]
