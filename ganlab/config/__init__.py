"""Study files: typed configuration, the TOML loader, and dotted config paths."""

from __future__ import annotations

from ganlab.config._dump import (
    config_record,
    config_to_dict,
    config_to_toml,
    to_plain,
)
from ganlab.config._loader import (
    MAX_IMAGE_SIZE,
    config_from_dict,
    load_config,
    read_toml,
    validate_checkpoint_meta,
)
from ganlab.config._overrides import Override, attribute, parse_override
from ganlab.config._paths import apply_overrides, get_path, set_path
from ganlab.config._schema import (
    PLUGIN_FIELDS,
    AblationConfig,
    AuxClassifierConfig,
    BaselinesConfig,
    ClassifierConfig,
    Config,
    DataConfig,
    EmaConfig,
    EnsembleConfig,
    FidConfig,
    GanConfig,
    GanMetricsConfig,
    ObjectiveConfig,
    PluginRef,
    R1Config,
    SplitConfig,
    StudySection,
    SynthConfig,
)
from ganlab.config._secrets import (
    has_masked_secret,
    mask_secrets,
    redact_url,
    without_secrets,
)
from ganlab.config._text import show
from ganlab.config._validate import (
    plugin_refs,
    validate_image_sizes,
    validate_plugins,
    validate_search,
)

__all__ = [
    "MAX_IMAGE_SIZE",
    "validate_checkpoint_meta",
    "PLUGIN_FIELDS",
    "AblationConfig",
    "BaselinesConfig",
    "ClassifierConfig",
    "Config",
    "DataConfig",
    "AuxClassifierConfig",
    "EmaConfig",
    "EnsembleConfig",
    "FidConfig",
    "GanMetricsConfig",
    "GanConfig",
    "Override",
    "ObjectiveConfig",
    "PluginRef",
    "R1Config",
    "SplitConfig",
    "StudySection",
    "SynthConfig",
    "apply_overrides",
    "attribute",
    "config_from_dict",
    "config_record",
    "config_to_dict",
    "config_to_toml",
    "redact_url",
    "has_masked_secret",
    "mask_secrets",
    "without_secrets",
    "get_path",
    "load_config",
    "parse_override",
    "read_toml",
    "plugin_refs",
    "set_path",
    "show",
    "to_plain",
    "validate_plugins",
    "validate_search",
    "validate_image_sizes",
]
