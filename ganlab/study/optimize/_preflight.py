"""What must hold before a study starts any trial; ``ganlab config check`` runs the same checks.

A study that fails here would fail every trial the same way (a missing data folder, a ``nan``
learning rate), so ``study run`` refuses to start and ``config check`` calls it invalid.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganlab.config import (
    attribute,
    config_to_dict,
    to_plain,
    validate_image_sizes,
    validate_plugins,
)
from ganlab.errors import ConfigError, GanlabError
from ganlab.lazy import lazy_namespace
from ganlab.study._layout import StudyLayout
from ganlab.study.optimize._space import apply_values, check_search_values, expand_search_space
from ganlab.study.pipeline import needs_gan

if TYPE_CHECKING:
    from ganlab.config import Config

lazy = lazy_namespace("ganlab.data")


def check_study(cfg: Config) -> None:
    """Raise a :class:`GanlabError` naming the file, the key and the fix of the first problem.

    Checks: every number is finite, ``study.name`` is a safe folder name, the images exist
    (``data.root`` holds two class folders with files, or ``data.synth`` will generate them, or
    ``data.manifest`` lists two labels), the networks take ``data.image_size`` (plugins that
    declare their sizes), and ``[search]`` expands into valid studies at every choice and
    bound (known paths, known plugins, sizes the networks take).
    """

    try:
        _check_study(cfg)
    except GanlabError as exc:  # name the --set override behind the problem, if one is
        raise attribute(exc, cfg.overrides) from None


def _check_study(cfg: Config) -> None:
    prefix = f"{cfg.source or '<config>'}: "
    check_finite(cfg)
    StudyLayout.of_config(cfg)  # a safe folder name; the same check as every command's
    try:
        lazy.data.check_data_source(cfg.data, Path(cfg.base_dir))
    except GanlabError as exc:
        raise type(exc)(f"{prefix}{exc}") from None
    params = expand_search_space(cfg)
    gan = needs_gan(cfg)
    validate_image_sizes(cfg, gan=gan)

    def check(trial_cfg: Config) -> None:
        validate_plugins(trial_cfg)
        validate_image_sizes(trial_cfg, gan=gan)

    check_search_values(cfg, params, check)
    _check_ablation_levels(cfg)
    if cfg.data.split.folds >= 2 and cfg.classifier.refit:
        raise ConfigError(f"{prefix}classifier.refit and data.split.folds >= 2 both ask for the "
                          "final model", path=("classifier.refit", "data.split.folds"),
                          hint="use one: the fold ensemble, or a refit of a single split "
                          "(data.split.folds = 0)")


def _check_ablation_levels(cfg: Config) -> None:
    """Every level of an ablation factor names plugins that exist with parameters they take
    (a bad synthesis strategy level fails here, not in its cells' runs)."""

    if cfg.ablation is None:
        return
    for path, levels in cfg.ablation.factors.items():
        for level in levels:
            try:
                validate_plugins(apply_values(cfg, {path: level}))
            except GanlabError as exc:
                raise ConfigError(f'ablation.factors."{path}" level {level!r}: {exc}') from None


def check_finite(cfg: Config) -> None:
    """Every number of the study (plugin parameters and search bounds too) is finite."""

    raw = config_to_dict(cfg)
    raw["search"] = {f'"{k}"': to_plain(v) for k, v in cfg.search.items()}
    for path, value in _numbers(raw, ""):
        if not math.isfinite(value):
            raise ConfigError(
                f"{cfg.source or '<config>'}: {path}: expected a finite number, got {value}; "
                "TOML's nan and inf make every trial fail, so write a number"
            )


def _numbers(node: Any, path: str) -> list[tuple[str, float]]:
    """Every float in ``node`` with its config path (list entries by plugin name or index)."""
    if isinstance(node, float):
        return [(path, node)]
    if isinstance(node, dict):
        items = [(f"{path}.{k}" if path else k, v) for k, v in node.items()]
    elif isinstance(node, (list, tuple)):
        items = [(f"{path}.{v['name']}" if isinstance(v, dict) and "name" in v else
                  f"{path}[{i}]", v) for i, v in enumerate(node)]
    else:
        return []
    return [found for sub, value in items for found in _numbers(value, sub)]
