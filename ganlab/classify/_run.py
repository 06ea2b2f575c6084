"""Config-level entry points used by ``ganlab classify``: prepare the data, then train or score."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ganlab.classify._floors import trivial_floors
from ganlab.classify._train import ClassifyResult, train_classifier
from ganlab.config import Config, config_record
from ganlab.io import atomic_write_json

CONFIG_RECORD = "study-config.json"
"""The study file, profile, overrides and resolved config a classify run was started with."""


def study_dir(cfg: Config) -> Path:
    """``<study.output>/<study.name>``."""
    return Path(cfg.study.output) / cfg.study.name


def prepare(cfg: Config) -> Any:
    """The study's :class:`~ganlab.data.PreparedData` (cached by ganlab.data)."""
    from ganlab.data import prepare_data

    return prepare_data(cfg.data, base_dir=Path(cfg.base_dir), work_dir=study_dir(cfg))


def classify_from_config(
    cfg: Config,
    *,
    out_dir: Path | None = None,
    device: torch.device,
    seed: int | None = None,
    generator_checkpoint: Path | None = None,
) -> ClassifyResult:
    """Prepare the study's data and train its classifier (``ganlab classify train``)."""
    from ganlab.data import build_augmentation

    data = prepare(cfg)
    out_dir = out_dir or study_dir(cfg) / "classify"
    atomic_write_json(out_dir / CONFIG_RECORD, config_record(cfg))
    augment = build_augmentation(cfg.data.augmentations) if cfg.classifier.augment else None
    return train_classifier(
        cfg.classifier, data, out_dir=out_dir, device=device,
        seed=cfg.study.seed if seed is None else seed, augment=augment,
        generator_checkpoint=generator_checkpoint,
    )


def floors_from_config(
    cfg: Config, *, out_dir: Path | None = None, seed: int | None = None
) -> dict[str, dict[str, Any]]:
    """Prepare the study's data and score the trivial floors (``ganlab classify floors``)."""
    c = cfg.classifier
    return trivial_floors(
        prepare(cfg), seed=cfg.study.seed if seed is None else seed, n_boot=c.bootstrap,
        threshold=c.threshold, fixed_threshold=c.fixed_threshold,
        out_dir=out_dir or study_dir(cfg) / "classify",
    )
