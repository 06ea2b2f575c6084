"""``train_classifier``: one classifier trained, early-stopped, thresholded and scored."""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor, nn

from ganlab.classify._checkpoint import (
    filter_refs,
    load_classifier,
    plain,
    rebuild_ref,
    save_classifier,
)
from ganlab.classify._loop import positive_probability, predict_logits
from ganlab.classify._outputs import (
    Scored,
    choose_threshold,
    score_sets,
    write_metrics,
    write_plots,
    write_predictions,
)
from ganlab.classify._pretrain import with_gan_checkpoint
from ganlab.classify._recipe import check_recipe
from ganlab.classify._synthetic import (
    Stage,
    SynthesisRun,
    build_strategy,
    plan_stages,
    synthesis_ref,
    write_sample_grids,
)
from ganlab.classify._trainer import ClassifierTrainer
from ganlab.config import ClassifierConfig
from ganlab.device import choose_precision
from ganlab.errors import ConfigError, DataError
from ganlab.io import file_lock
from ganlab.metrics import METRICS
from ganlab.registry import CLASSIFIERS
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


def _build_model(cfg: ClassifierConfig, image_size: int,
                 generator_checkpoint: Path | None) -> tuple[nn.Module, dict[str, Any]]:
    params = dict(with_gan_checkpoint(cfg.model, generator_checkpoint).params)  # GAN pretraining
    model = CLASSIFIERS.create(cfg.model.name, num_classes=2, image_size=image_size, channels=3,
                               **params)
    return model, rebuild_ref(cfg.model.name, params, model)


def _meta(cfg: ClassifierConfig, data: PreparedData, model_ref: dict[str, Any], seed: int,
          n_train: int, augmented: bool) -> dict[str, Any]:
    """What a training checkpoint must share with the run that resumes it."""
    recipe = {k: v for k, v in dataclasses.asdict(cfg).items()
              if k not in ("model", "optimizer", "bootstrap", "tta", "threshold",
                           "fixed_threshold", "enabled", "max_minutes", "checkpoint_every",
                           "checkpoint_minutes", "synthesis")}
    if cfg.synthesis is not None:  # absent without one: older checkpoints still resume
        recipe["synthesis"] = cfg.synthesis.as_dict()
    return plain({"classifier": model_ref, "optimizer": cfg.optimizer.as_dict(), **recipe,
                  "augment": augmented, "filters": filter_refs(data.protocol), "seed": seed,
                  "n_train": n_train, "image_size": int(data.train.images.shape[-1])})


def _protocol(cfg: ClassifierConfig, data: PreparedData, trainer: ClassifierTrainer,
              stages: list[Stage], model_ref: dict[str, Any], generator_checkpoint: Path | None,
              *, resumed_at: int | None, device: torch.device, seed: int) -> dict[str, Any]:
    """The ``protocol`` block of metrics.json: how this model was trained."""
    train_seconds = sum(row["wall_seconds"] for row in trainer.history)
    records = [s.record() for s in stages]
    n_synthetic = sum(r["n_synthetic"] for r in records)
    ref = synthesis_ref(cfg)
    return {
        "data": data.protocol,
        "classifier": model_ref,
        "optimizer": cfg.optimizer.as_dict(),
        "mode": cfg.mode,
        "synthetic_ratio": cfg.synthetic_ratio,
        "synthesis": ref.as_dict() if ref is not None else None,
        "stages": records,
        "synthetic_refresh": cfg.synthetic_refresh if n_synthetic else None,
        "generator_checkpoint": str(generator_checkpoint) if n_synthetic else None,
        "n_train_real": records[-1]["n_train"] - records[-1]["n_synthetic"],
        "n_train_synthetic": n_synthetic,
        "synthetic_per_label": [sum(r["synthetic_per_label"][c] for r in records)
                                for c in (0, 1)],
        "class_weighting": cfg.class_weighting,
        "augment": trainer.augment is not None,
        "recipe": {k: trainer.meta[k] for k in RECIPE_KEYS},
        "tta": cfg.tta,
        "monitor": cfg.monitor,
        "best_epoch": trainer.early.best_epoch,
        "epochs_run": len(trainer.history),
        "stopped_by_time_limit": trainer.out_of_time and trainer.epoch < cfg.epochs,
        "resumed_at_epoch": resumed_at,
        "train_seconds": round(train_seconds, 2),
        "seed": seed,
        "device": str(device),
        "amp": str(trainer.amp_dtype).replace("torch.", "") if trainer.amp_dtype else "off",
        "precision": trainer.precision.record(),
        "bootstrap": cfg.bootstrap,
        "class_names": list(data.class_names),
    }


def real_recipe(cfg: ClassifierConfig) -> ClassifierConfig:
    """``cfg`` trained on the real images only: the recipe of a filtering reference."""
    return dataclasses.replace(cfg, synthesis=None, mode="real", synthetic_ratio=0.0)


def _reference(cfg: ClassifierConfig, data: PreparedData, *, out_dir: Path,
               device: torch.device, seed: int,
               augment: Callable[[Tensor], Tensor] | None) -> Callable[[], nn.Module]:
    """A real-data classifier with the run's recipe (for filtering strategies), trained on
    first use into ``out_dir`` (one process at a time) and read back from there afterwards."""
    def model() -> nn.Module:
        with file_lock(Path(f"{out_dir}.lock")):
            if not (out_dir / "model.pt").is_file():
                train_classifier(real_recipe(cfg), data, out_dir=out_dir, device=device,
                                 seed=seed, augment=augment, resume=True)
        return load_classifier(out_dir / "model.pt", device=device)[0]

    return model


def _publish_reference(cfg: ClassifierConfig, out_dir: Path, reference_dir: Path) -> None:
    """A real-only run is the reference its recipe's filtering runs need: link its model
    there (a copy where links are not possible) unless one is there already."""
    if synthesis_ref(cfg) is not None or (reference_dir / "model.pt").is_file():
        return
    reference_dir.mkdir(parents=True, exist_ok=True)
    tmp = reference_dir / f".model.pt.{os.getpid()}"
    try:
        os.link(out_dir / "model.pt", tmp)
    except OSError:
        shutil.copy2(out_dir / "model.pt", tmp)
    os.replace(tmp, reference_dir / "model.pt")


def _pretrain_stages(cfg: ClassifierConfig, data: PreparedData, model: nn.Module,
                     stages: list[Stage], *, out_dir: Path, device: torch.device, seed: int,
                     augment: Callable[[Tensor], Tensor] | None, meta: dict[str, Any],
                     resume: bool) -> nn.Module:
    """Train ``model`` through every stage but the last (``stage-<i>/``, each resumable)."""
    for i, stage in enumerate(stages[:-1], start=1):
        epochs = int(stage.epochs or 1)
        stage_cfg = dataclasses.replace(cfg, epochs=epochs, patience=0, max_minutes=None,
                                        warmup_epochs=min(cfg.warmup_epochs, float(epochs)))
        trainer = ClassifierTrainer(
            stage_cfg, model, stage.images, stage.labels, data.val.images, data.val.labels,
            out_dir=out_dir / f"stage-{i}", device=device, seed=seed + i, augment=augment,
            meta={**meta, "stage": i, "epochs": epochs, "patience": 0,
                  "n_train": len(stage.labels)}, refresh=stage.refresh)
        if resume:
            trainer.resume()
        model = trainer.fit()
    return model


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
    progress: Callable[[dict], None] | None = None,
    resume: bool = False,
    refit: dict[str, Any] | None = None,
    reference_dir: Path | None = None,
) -> ClassifyResult:
    """Train ``cfg.model`` on ``data`` (a :class:`~ganlab.data.PreparedData`) and score it.

    Trains on the stages of the synthesis strategy (``cfg.synthesis``, or ``cfg.mode``'s
    ``mix``; real images only without one; earlier stages in ``stage-<i>/``) with a
    :class:`~ganlab.classify.ClassifierTrainer`, which keeps the weights of the best epoch on
    the validation ``cfg.monitor`` (early stopping after ``cfg.patience`` epochs without
    improvement; 0 = train all epochs) and checkpoints every epoch; with ``resume`` a
    ``checkpoint.pt`` of the same setup in ``out_dir`` is continued exactly. Then chooses the
    decision threshold on validation and writes ``model.pt``, ``metrics.json``,
    ``predictions.csv`` and plots to ``out_dir``. A classifier plugin that wants a GAN checkpoint
    (``UsesGanCheckpoint``) gets ``generator_checkpoint`` (the trial's GAN) when its keyword is
    unset. ``report(epoch, metrics)`` runs after each
    epoch (1-based) and may raise ``optuna.TrialPruned``, which propagates; ``progress`` gets
    the trainer's step and epoch events (the library draws no progress bar). ``refit`` (see
    :func:`~ganlab.classify.refit_classifier`) keeps the last epoch's weights and scores with
    its ``threshold`` instead of choosing one on validation. ``reference_dir`` is where the
    real-data classifier of a filtering strategy is kept (default ``out_dir/reference``): a
    study passes one folder per recipe, data and seed, and a real-only run of that recipe
    puts its own model there, so the strategy reuses it instead of training it again.

    Long because: it names each step of a run (stages, model, trainer, scoring) in order.
    """
    _check(cfg, data)
    check_recipe(cfg)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    deterministic = device.type == "cpu"
    augment_fn = augment if cfg.augment else None
    context = SynthesisRun(
        data.train.images, data.train.labels, class_names=tuple(data.class_names),
        generator_checkpoint=generator_checkpoint, device=device, seed=seed,
        reference=_reference(cfg, data, out_dir=reference_dir or out_dir / "reference",
                             device=device, seed=seed, augment=augment),
    )
    seed_everything(seed, deterministic=deterministic)
    stages = plan_stages(build_strategy(synthesis_ref(cfg)), context)
    seed_everything(seed, deterministic=deterministic)  # stages may have trained a reference
    write_sample_grids(stages, out_dir)
    image_size = int(data.train.images.shape[-1])
    model, model_ref = _build_model(cfg, image_size, generator_checkpoint)
    final = stages[-1]
    meta = _meta(cfg, data, model_ref, seed, len(final.labels), augment_fn is not None)
    model = _pretrain_stages(cfg, data, model, stages, out_dir=out_dir, device=device,
                             seed=seed, augment=augment_fn, meta=meta, resume=resume)
    trainer = ClassifierTrainer(
        cfg, model, final.images, final.labels, data.val.images, data.val.labels,
        out_dir=out_dir, device=device, seed=seed, augment=augment_fn, progress=progress,
        meta=meta, refresh=final.refresh, keep_last=refit is not None,
    )
    resumed_at = trainer.epoch if resume and trainer.resume() else None
    model = trainer.fit(report)
    protocol = _protocol(cfg, data, trainer, stages, model_ref, generator_checkpoint,
                         resumed_at=resumed_at, device=device, seed=seed)
    protocol["refit"] = refit
    result = score_and_write(cfg, data, model, out_dir=out_dir, device=device, seed=seed,
                             protocol=protocol, model_ref=model_ref, history=trainer.history,
                             threshold=refit["threshold"] if refit else None)
    if reference_dir is not None and refit is None:
        _publish_reference(cfg, out_dir, Path(reference_dir))
    return result


RECIPE_KEYS = ("schedule", "warmup_epochs", "label_smoothing", "mixup_alpha", "cutmix_alpha",
               "mixup_prob", "ema_decay", "batch_size", "epochs", "patience")


def score_and_write(
    cfg: ClassifierConfig,
    data: PreparedData,
    model: nn.Module,
    *,
    out_dir: Path,
    device: torch.device,
    seed: int,
    protocol: dict[str, Any],
    model_ref: dict[str, Any],
    history: list[dict],
    threshold: dict[str, Any] | None = None,
    sets: list[Scored] | None = None,
    meta: dict[str, Any] | None = None,
) -> ClassifyResult:
    """Score a trained model on validation and test, choose the threshold on validation (or
    take ``threshold``), and write ``model.pt``, ``metrics.json``, ``predictions.csv`` and the
    plots. ``sets`` replaces the model's own val/test predictions (a fold ensemble's
    out-of-fold validation); ``meta`` adds to model.pt's meta."""
    image_size = int(data.train.images.shape[-1])
    if sets is None:
        sets = []
        for split in ("val", "test"):
            s = getattr(data, split)
            logits = predict_logits(model, s.images, device=device, tta=cfg.tta,
                                    amp_dtype=choose_precision(cfg.amp, device).dtype)
            sets.append(Scored(split, list(s.ids), list(s.paths),
                               s.labels.numpy().astype(np.int64), positive_probability(logits)))
    threshold = threshold or choose_threshold(cfg.threshold, cfg.fixed_threshold, sets[0])
    scores = score_sets(sets, threshold=threshold["value"], n_boot=cfg.bootstrap, seed=seed)
    metrics = {"protocol": protocol, "threshold": threshold, **scores}
    checkpoint = save_classifier(out_dir / "model.pt", model, {
        "classifier": model_ref, "num_classes": 2, "image_size": image_size, "channels": 3,
        "class_names": list(data.class_names), "filters": filter_refs(data.protocol),
        "threshold": threshold, "tta": cfg.tta, **(meta or {}),
    })
    write_metrics(out_dir / "metrics.json", metrics)
    predictions = write_predictions(out_dir / "predictions.csv", sets)
    plots = write_plots(out_dir, sets, scores, data.class_names, history=history,
                        monitor=cfg.monitor)
    return ClassifyResult(checkpoint, metrics, predictions, history, plots)
