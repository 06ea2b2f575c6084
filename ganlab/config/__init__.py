"""Study files: typed configuration, the TOML loader, and dotted config paths."""

from __future__ import annotations

from ganlab.config._dump import config_to_dict, to_plain
from ganlab.config._loader import config_from_dict, load_config, read_toml
from ganlab.config._paths import apply_overrides, get_path, set_path
from ganlab.config._schema import (
    AblationConfig,
    BaselinesConfig,
    ClassifierConfig,
    Config,
    DataConfig,
    EnsembleConfig,
    FidConfig,
    GanConfig,
    ObjectiveConfig,
    PluginRef,
    SplitConfig,
    StudySection,
    SynthConfig,
)

__all__ = [
    "AblationConfig",
    "BaselinesConfig",
    "ClassifierConfig",
    "Config",
    "DataConfig",
    "EnsembleConfig",
    "FidConfig",
    "GanConfig",
    "ObjectiveConfig",
    "PluginRef",
    "SplitConfig",
    "StudySection",
    "SynthConfig",
    "apply_overrides",
    "config_from_dict",
    "config_to_dict",
    "get_path",
    "load_config",
    "read_toml",
    "set_path",
]
