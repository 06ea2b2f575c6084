"""Config-level entry points used by ``ganlab classify``: prepare the data, then train or score.

``work_dir`` is the study's folder (``ganlab.study.StudyLayout``; the CLI passes its root): the
split and the preprocessing cache live there, and outputs default to ``work_dir/classify``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from ganlab.classify._final import refit_classifier, train_fold_ensemble
from ganlab.classify._floors import trivial_floors
from ganlab.classify._train import ClassifyResult, train_classifier
from ganlab.config import Config, config_record
from ganlab.data import build_augmentation, prepare_data
from ganlab.errors import ConfigError
from ganlab.io import atomic_write_json

CONFIG_RECORD = "study-config.json"
"""The study file, profile, overrides and resolved config a classify run was started with."""


def classifier_data(cfg: Config) -> Any:
    """``cfg.data`` at ``classifier.image_size`` when that is set (the filter chain runs on
    the full-size images, then the chain's output is resized to that side)."""
    size = cfg.classifier.image_size
    if size is None or size == cfg.data.image_size:
        return cfg.data
    return dataclasses.replace(cfg.data, image_size=size)


def prepare(cfg: Config, work_dir: Path, fold: int | None = None) -> Any:
    """The study's :class:`~ganlab.data.PreparedData` for the classifier (cached by
    ganlab.data); ``fold``: the validation fold when ``data.split.folds >= 2``."""
    return prepare_data(classifier_data(cfg), base_dir=Path(cfg.base_dir), work_dir=work_dir,
                        fold=fold)


def classify_from_config(
    cfg: Config,
    *,
    work_dir: Path,
    out_dir: Path | None = None,
    device: torch.device,
    seed: int | None = None,
    generator_checkpoint: Path | None = None,
    progress: Callable[[dict], None] | None = None,
    resume: bool = False,
    refit: bool = False,
) -> ClassifyResult:
    """Prepare the study's data and train its classifier (``ganlab classify train``); with
    ``resume`` an interrupted run in the same output folder continues from its last epoch.

    With ``data.split.folds = K >= 2``: K fold models and their average (the result).
    ``refit`` retrains the validated run already in ``out_dir`` on train + validation into
    ``out_dir/refit`` (the result); ``classifier.refit`` trains the run, then refits it.
    """
    out_dir = out_dir or work_dir / "classify"
    atomic_write_json(out_dir / CONFIG_RECORD, config_record(cfg))
    augment = build_augmentation(cfg.data.augmentations) if cfg.classifier.augment else None
    kwargs = dict(device=device, seed=cfg.study.seed if seed is None else seed, augment=augment,
                  generator_checkpoint=generator_checkpoint, progress=progress, resume=resume)
    folds = cfg.data.split.folds
    if folds >= 2:
        if refit or cfg.classifier.refit:
            raise ConfigError("a refit and data.split.folds >= 2 both ask for the final model",
                              path="refit", hint="use one: the fold ensemble or a refit of a "
                              "single split (data.split.folds = 0)")
        return train_fold_ensemble(cfg.classifier, lambda k: prepare(cfg, work_dir, k), folds,
                                   out_dir=out_dir, **kwargs)  # type: ignore[arg-type]
    data = prepare(cfg, work_dir)
    if not refit:
        result = train_classifier(cfg.classifier, data, out_dir=out_dir,
                                  **kwargs)  # type: ignore[arg-type]
        if not cfg.classifier.refit:
            return result
    return refit_classifier(cfg.classifier, data, run_dir=out_dir, out_dir=out_dir / "refit",
                            **kwargs)  # type: ignore[arg-type]


def floors_from_config(
    cfg: Config, *, work_dir: Path, out_dir: Path | None = None, seed: int | None = None
) -> dict[str, dict[str, Any]]:
    """Prepare the study's data and score the trivial floors (``ganlab classify floors``)."""
    c = cfg.classifier
    return trivial_floors(
        prepare(cfg, work_dir), seed=cfg.study.seed if seed is None else seed,
        n_boot=c.bootstrap, threshold=c.threshold, fixed_threshold=c.fixed_threshold,
        out_dir=out_dir or work_dir / "classify",
    )
