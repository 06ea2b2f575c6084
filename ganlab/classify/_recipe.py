"""The training recipe's parts, each built from ``[classifier]``: schedule, mixup, EMA, loss.

Every part is off at its default (constant learning rate, no mixup, no EMA, hard labels), so a
study file that does not name them trains as before; ``studies/paper.toml`` profile ``cpu-best``
turns them on.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from ganlab.config import ClassifierConfig
from ganlab.errors import ConfigError


def check_recipe(cfg: ClassifierConfig) -> None:
    """Reject out-of-range recipe values with their config path."""
    ranges = {
        "warmup_epochs": (cfg.warmup_epochs, 0.0, float(cfg.epochs)),
        "label_smoothing": (cfg.label_smoothing, 0.0, 0.5),
        "mixup_alpha": (cfg.mixup_alpha, 0.0, 10.0),
        "cutmix_alpha": (cfg.cutmix_alpha, 0.0, 10.0),
        "mixup_prob": (cfg.mixup_prob, 0.0, 1.0),
    }
    for name, (value, low, high) in ranges.items():
        if not low <= value <= high:
            raise ConfigError(f"classifier.{name}: {value!r} is outside [{low}, {high}]")
    if not (cfg.ema_decay == 0.0 or 0.0 < cfg.ema_decay < 1.0):
        raise ConfigError(
            f"classifier.ema_decay: {cfg.ema_decay!r} must be 0 (off) or in (0, 1), e.g. 0.998"
        )
    if cfg.max_minutes is not None and cfg.max_minutes < 0:
        raise ConfigError(f"classifier.max_minutes: {cfg.max_minutes!r} must be >= 0 (or unset)")
    if cfg.image_size is not None and cfg.image_size < 8:
        raise ConfigError(f"classifier.image_size: {cfg.image_size!r} must be >= 8 (or unset)")
    for name in ("epochs", "batch_size"):
        if getattr(cfg, name) < 1:
            raise ConfigError(f"classifier.{name}: must be >= 1, got {getattr(cfg, name)!r}")


def lr_factor(step: int, *, total: int, warmup: int, schedule: str) -> float:
    """Learning-rate multiplier at optimizer step ``step`` (0-based) of ``total``.

    Linear warm-up from ``1 / (warmup + 1)`` to 1 over ``warmup`` steps, then constant or a
    half cosine that reaches 0 after the last step.
    """
    if step < warmup:
        return (step + 1) / (warmup + 1)
    if schedule == "constant":
        return 1.0
    span = max(total - warmup, 1)
    return 0.5 * (1.0 + math.cos(math.pi * min(step - warmup, span) / span))


def build_scheduler(
    optimizer: torch.optim.Optimizer, cfg: ClassifierConfig, steps_per_epoch: int
) -> torch.optim.lr_scheduler.LambdaLR:
    """A per-step :class:`~torch.optim.lr_scheduler.LambdaLR` for ``cfg``'s schedule."""
    total = cfg.epochs * steps_per_epoch
    warmup = round(cfg.warmup_epochs * steps_per_epoch)
    schedule = cfg.schedule

    def factor(step: int) -> float:
        return lr_factor(step, total=total, warmup=warmup, schedule=schedule)

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def build_mixup(cfg: ClassifierConfig, num_classes: int = 2) -> Any | None:
    """timm's ``Mixup`` (batch mode; soft, smoothed targets) or ``None`` when both alphas are 0."""
    if cfg.mixup_alpha <= 0 and cfg.cutmix_alpha <= 0:
        return None
    from timm.data import Mixup

    return Mixup(mixup_alpha=cfg.mixup_alpha, cutmix_alpha=cfg.cutmix_alpha,
                 prob=cfg.mixup_prob, label_smoothing=cfg.label_smoothing,
                 num_classes=num_classes)


def build_ema(cfg: ClassifierConfig, model: nn.Module) -> Any | None:
    """timm's ``ModelEmaV3`` of ``model`` with warm-up (short runs), or ``None`` when off."""
    if cfg.ema_decay <= 0:
        return None
    from timm.utils import ModelEmaV3

    return ModelEmaV3(model, decay=cfg.ema_decay, use_warmup=True)


def build_loss(cfg: ClassifierConfig, weight: torch.Tensor | None, *, mixed: bool) -> nn.Module:
    """Cross-entropy; with mixup the targets arrive already smoothed, so no smoothing here."""
    smoothing = 0.0 if mixed else cfg.label_smoothing
    return nn.CrossEntropyLoss(weight=weight, label_smoothing=smoothing)
