"""``train_classifier``: one classifier trained, early-stopped, thresholded and scored."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor, nn

from ganlab.classify._checkpoint import filter_refs, rebuild_ref, save_classifier
from ganlab.classify._loop import positive_probability, predict_logits, train_epoch
from ganlab.classify._outputs import (
    Scored,
    choose_threshold,
    score_sets,
    write_metrics,
    write_plots,
    write_predictions,
)
from ganlab.classify._pretrain import with_gan_checkpoint
from ganlab.classify._synthetic import build_training_set
from ganlab.config import ClassifierConfig
from ganlab.contracts import EpochHook
from ganlab.errors import ConfigError, DataError
from ganlab.metrics import METRICS, classification_metrics
from ganlab.seeding import seed_everything

if TYPE_CHECKING:
    from ganlab.data import PreparedData

MONITORS = (*METRICS, "loss")
"""Metrics early stopping can watch (``loss`` is minimised, the others maximised)."""


@dataclass
class ClassifyResult:
    """What one classifier run produced."""

    checkpoint: Path  # model.pt: weights, plugin reference, filter chain, threshold
    metrics: dict  # the content of metrics.json
    predictions: Path  # predictions.csv
    history: list[dict] = field(default_factory=list)  # per epoch: losses, val metric, timing
    plots: list[Path] = field(default_factory=list)  # ROC, confusion matrix, training curves


def _check(cfg: ClassifierConfig, data: PreparedData) -> None:
    if cfg.monitor not in MONITORS:
        raise ConfigError(
            f"classifier.monitor: unknown metric {cfg.monitor!r}; choose one of "
            f"{', '.join(MONITORS)}"
        )
    for split in ("train", "val", "test"):
        if len(getattr(data, split).labels) == 0:
            raise DataError(f"the {split} split is empty; add images or change data.split")
    if len(torch.unique(data.train.labels)) < 2 and cfg.mode != "synthetic":
        raise DataError("the training split holds one class only; both classes are needed")


def _class_weights(labels: Tensor) -> Tensor:
    counts = torch.bincount(labels, minlength=2).double().clamp_min(1)
    return (len(labels) / (2 * counts)).float()


def _epoch_order(cfg: ClassifierConfig, labels: Tensor, gen: torch.Generator) -> Tensor:
    if cfg.class_weighting == "sampler":
        weights = _class_weights(labels)[labels].double()
        return torch.multinomial(weights, len(labels), replacement=True, generator=gen)
    return torch.randperm(len(labels), generator=gen)


def _build_model(cfg: ClassifierConfig, image_size: int,
                 generator_checkpoint: Path | None) -> tuple[nn.Module, dict[str, Any]]:
    from ganlab.registry import CLASSIFIERS

    params = dict(with_gan_checkpoint(cfg.model, generator_checkpoint).params)  # GAN pretraining
    model = CLASSIFIERS.create(cfg.model.name, num_classes=2, image_size=image_size, channels=3,
                               **params)
    return model, rebuild_ref(cfg.model.name, params, model)


def _monitor_value(cfg: ClassifierConfig, y: np.ndarray, logits: Tensor) -> tuple[float, float]:
    """(monitored value, validation loss) on the validation predictions."""
    val_loss = float(nn.functional.cross_entropy(logits, torch.from_numpy(y)))
    if cfg.monitor == "loss":
        return val_loss, val_loss
    prob = positive_probability(logits)
    scored = Scored("val", [], [], y, prob)
    thr = choose_threshold(cfg.threshold, cfg.fixed_threshold, scored)["value"]
    return classification_metrics(y, prob, threshold=thr)[cfg.monitor], val_loss


def _improved(value: float, best: float | None, minimise: bool) -> bool:
    if math.isnan(value):
        return best is None
    if best is None or math.isnan(best):
        return True
    return value < best if minimise else value > best


def train_classifier(
    cfg: ClassifierConfig,
    data: PreparedData,
    *,
    out_dir: Path,
    device: torch.device,
    seed: int,
    augment: Callable[[Tensor], Tensor] | None = None,
    generator_checkpoint: Path | None = None,
    report: Callable[[int, dict], None] | None = None,
    show_progress: bool = True,
) -> ClassifyResult:
    """Train ``cfg.model`` on ``data`` (a :class:`~ganlab.data.PreparedData`) and score it.

    Trains on the training set of ``cfg.mode`` (see :func:`build_training_set`), keeps the
    weights of the best epoch on the validation ``cfg.monitor`` (early stopping after
    ``cfg.patience`` epochs without improvement; 0 = train all epochs), chooses the decision
    threshold on validation, and writes ``model.pt``, ``metrics.json``, ``predictions.csv`` and
    plots to ``out_dir``. A classifier with the ``UsesGanCheckpoint`` capability whose
    checkpoint keyword is unset is initialised from ``generator_checkpoint`` (the trial's GAN).
    ``report(epoch, metrics)`` runs after each epoch (1-based) and may raise
    ``optuna.TrialPruned``, which propagates.
    ``show_progress=False`` turns off the progress bar and epoch lines (a study shows its own).
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from ganlab.registry import OPTIMIZERS

    _check(cfg, data)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    seed_everything(seed, deterministic=device.type == "cpu")
    image_size = int(data.train.images.shape[-1])
    train = build_training_set(
        cfg, data.train.images, data.train.labels, class_names=tuple(data.class_names),
        generator_checkpoint=generator_checkpoint, device=device, seed=seed,
    )
    model, model_ref = _build_model(cfg, image_size, generator_checkpoint)
    channels_last = True
    model = model.to(device, memory_format=torch.channels_last)
    optimizer = OPTIMIZERS.create(cfg.optimizer.name, model.parameters(),
                                  **cfg.optimizer.params)
    weight = _class_weights(train.labels).to(device) if cfg.class_weighting == "balanced" else None
    loss_fn = nn.CrossEntropyLoss(weight=weight)
    gen = torch.Generator().manual_seed(seed)
    y_val = data.val.labels.numpy().astype(np.int64)
    minimise = cfg.monitor == "loss"
    best: float | None = None
    best_state, best_epoch, stale = None, 0, 0
    history: list[dict] = []
    augment_fn = augment if cfg.augment else None
    started = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[info]}"),
                  TimeElapsedColumn(), transient=True, disable=not show_progress) as progress:
        task = progress.add_task("classifier", total=cfg.epochs * len(train.labels), info="")
        for epoch in range(1, cfg.epochs + 1):
            if isinstance(model, EpochHook):
                model.on_epoch_start(epoch - 1)
            t0 = time.perf_counter()
            progress.update(task, description=f"classifier epoch {epoch}/{cfg.epochs}")
            train_loss = train_epoch(
                model, train.images, train.labels, _epoch_order(cfg, train.labels, gen),
                optimizer=optimizer, loss_fn=loss_fn, batch_size=cfg.batch_size, device=device,
                channels_last=channels_last, augment=augment_fn,
                on_batch=lambda n: progress.advance(task, n),
            )
            seconds = time.perf_counter() - t0
            logits = predict_logits(model, data.val.images, device=device,
                                    channels_last=channels_last)
            value, val_loss = _monitor_value(cfg, y_val, logits)
            row = {"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss,
                   f"val_{cfg.monitor}": value, "seconds": seconds,
                   "img_per_s": len(train.labels) / max(seconds, 1e-9)}
            history.append(row)
            progress.update(task, info=f"loss {train_loss:.3f} val_{cfg.monitor} {value:.3f}")
            if show_progress:
                progress.console.print(
                    f"epoch {epoch}/{cfg.epochs}: train_loss {train_loss:.4f}  val_loss "
                    f"{val_loss:.4f}  val_{cfg.monitor} {value:.4f}  "
                    f"{row['img_per_s']:.0f} img/s",
                    highlight=False,
                )
            if _improved(value, best, minimise):
                best, best_epoch, stale = value, epoch, 0
                best_state = copy.deepcopy(model.state_dict())
            else:
                stale += 1
            if report is not None:
                report(epoch, {f"val_{cfg.monitor}": value, "val_loss": val_loss,
                               "train_loss": train_loss})
            if cfg.patience and stale >= cfg.patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    train_seconds = time.perf_counter() - started

    sets = []
    for split in ("val", "test"):
        s = getattr(data, split)
        logits = predict_logits(model, s.images, device=device, channels_last=channels_last,
                                tta=cfg.tta)
        sets.append(Scored(split, list(s.ids), list(s.paths),
                           s.labels.numpy().astype(np.int64), positive_probability(logits)))
    threshold = choose_threshold(cfg.threshold, cfg.fixed_threshold, sets[0])
    scores = score_sets(sets, threshold=threshold["value"], n_boot=cfg.bootstrap, seed=seed)
    protocol = {
        "data": data.protocol,
        "classifier": model_ref,
        "optimizer": cfg.optimizer.as_dict(),
        "mode": cfg.mode,
        "synthetic_ratio": cfg.synthetic_ratio,
        "generator_checkpoint": str(generator_checkpoint) if train.n_synthetic else None,
        "n_train_real": train.n_real,
        "n_train_synthetic": train.n_synthetic,
        "synthetic_per_label": list(train.synthetic_labels),
        "class_weighting": cfg.class_weighting,
        "augment": augment_fn is not None,
        "tta": cfg.tta,
        "monitor": cfg.monitor,
        "best_epoch": best_epoch,
        "epochs_run": len(history),
        "train_seconds": round(train_seconds, 2),
        "seed": seed,
        "device": str(device),
        "bootstrap": cfg.bootstrap,
        "class_names": list(data.class_names),
    }
    metrics = {"protocol": protocol, "threshold": threshold, **scores}
    checkpoint = save_classifier(out_dir / "model.pt", model, {
        "classifier": model_ref, "num_classes": 2, "image_size": image_size, "channels": 3,
        "class_names": list(data.class_names), "filters": filter_refs(data.protocol),
        "threshold": threshold, "tta": cfg.tta,
    })
    write_metrics(out_dir / "metrics.json", metrics)
    predictions = write_predictions(out_dir / "predictions.csv", sets)
    plots = write_plots(out_dir, sets, scores, data.class_names, history=history,
                        monitor=cfg.monitor)
    return ClassifyResult(checkpoint, metrics, predictions, history, plots)
