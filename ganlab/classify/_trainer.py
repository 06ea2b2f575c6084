"""The classifier trainer: epochs over a device-resident training set, early stopping, resume.

The training images move to the device once as uint8 (like the GAN's); each batch is gathered,
converted and augmented there. Losses are summed on the device and read once per epoch, where
a non-finite sum stops the run. After every epoch the trainer scores validation, updates early
stopping and, at the cadence of ``checkpoint_every`` / ``checkpoint_minutes`` and after the last
epoch, writes ``checkpoint.pt`` atomically: model, optimizer, scheduler, EMA, early-stopping
state, best weights, history and every RNG, so a run killed at any moment resumes from its last
checkpoint and, on the CPU, ends bit-identical to an uninterrupted one. Scoring the test set
and writing outputs are not its job (see :func:`ganlab.classify.train_classifier`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ganlab.classify._checkpoint import plain
from ganlab.classify._loop import predict_logits, train_step
from ganlab.classify._outputs import Scored, choose_threshold
from ganlab.classify._recipe import build_ema, build_loss, build_mixup, build_scheduler
from ganlab.config import ClassifierConfig
from ganlab.contracts import EpochHook
from ganlab.device import choose_precision
from ganlab.errors import GanlabError, TrainingError
from ganlab.gan import capture_rng, restore_rng
from ganlab.io import CheckpointCadence, atomic_torch_save, safe_torch_load
from ganlab.metrics import classification_metrics
from ganlab.registry import OPTIMIZERS

CHECKPOINT_NAME = "checkpoint.pt"
STATE_KEYS = ("model", "optimizer", "scheduler", "ema", "best_state", "early_stopping", "rng",
              "order_rng", "epoch", "history", "meta")


@dataclass
class EarlyStopping:
    """Best validation value so far and epochs since it improved (``loss`` is minimised)."""

    minimise: bool
    patience: int
    best: float | None = None
    best_epoch: int = 0
    stale: int = 0

    def update(self, value: float, epoch: int) -> bool:
        """Record ``value`` of ``epoch``; True when it is the new best."""
        if _improved(value, self.best, self.minimise):
            self.best, self.best_epoch, self.stale = value, epoch, 0
            return True
        self.stale += 1
        return False

    @property
    def stopped(self) -> bool:
        return bool(self.patience) and self.stale >= self.patience


def _improved(value: float, best: float | None, minimise: bool) -> bool:
    if math.isnan(value):
        return best is None
    if best is None or math.isnan(best):
        return True
    return value < best if minimise else value > best


def class_weights(labels: Tensor) -> Tensor:
    """Inverse-frequency weights of the two classes (mean weight 1 over the samples)."""
    counts = torch.bincount(labels, minlength=2).double().clamp_min(1)
    return (len(labels) / (2 * counts)).float()


def batch_bounds(n: int, batch_size: int, *, even: bool) -> list[tuple[int, int]]:
    """(start, end) of each batch; a lone last sample (breaks BatchNorm) is dropped, and with
    ``even`` (mixup pairs samples) every batch has an even length."""
    out = []
    for start in range(0, n, batch_size):
        end = min(start + batch_size, n)
        if even and (end - start) % 2:
            end -= 1
        if end - start >= 2 or (not out and end > start):
            out.append((start, end))
    return out


class ClassifierTrainer:
    """Holds one classifier run's model, optimizer, schedule and data; :meth:`fit` trains it.

    Args:
        cfg: The ``[classifier]`` table.
        model: The classifier (built by the caller from ``cfg.model``).
        images: Training images, uint8 (N, C, S, S). labels: (N,) int64.
        val_images, val_labels: The validation split early stopping watches.
        out_dir: Folder of ``checkpoint.pt``.
        device: Training device.
        seed: Seed of the batch order (weights are seeded by the caller).
        meta: What must match for a checkpoint to be resumed (model, recipe, data, seed).
        augment: Optional batch augmentation on float batches in [-1, 1].
        refresh: Optional ``epoch -> (images, labels)``: the training set of each epoch after
            the first (same size; e.g. fresh synthetic images), a pure function of the epoch so
            that resume stays exact.
        keep_last: Keep the last epoch's weights instead of the best validated ones (a refit
            on train + validation, whose validation figures are no longer held out).
        progress: Optional callback: after every step a dict of ``epoch``, ``epochs``, ``step``,
            ``steps``, ``images``; after every epoch the history row with ``end = True``.
    """

    def __init__(
        self,
        cfg: ClassifierConfig,
        model: nn.Module,
        images: Tensor,
        labels: Tensor,
        val_images: Tensor,
        val_labels: Tensor,
        *,
        out_dir: Path,
        device: torch.device,
        seed: int,
        meta: dict[str, Any],
        augment: Callable[[Tensor], Tensor] | None = None,
        progress: Callable[[dict], None] | None = None,
        refresh: Callable[[int], tuple[Tensor, Tensor]] | None = None,
        keep_last: bool = False,
    ) -> None:
        self.cfg, self.device, self.out_dir = cfg, torch.device(device), Path(out_dir)
        self.meta, self.augment, self.progress = plain(meta), augment, progress
        self.refresh, self.keep_last = refresh, keep_last
        self.precision = choose_precision(cfg.amp, self.device)  # recorded in the protocol
        self.amp_dtype = self.precision.dtype
        self.model = model.to(self.device, memory_format=torch.channels_last)
        self.images, self.labels = images.to(self.device), labels.to(self.device)
        self.order_labels = labels.cpu()
        self.val_images = val_images.to(self.device)
        self.y_val = val_labels.cpu().numpy().astype(np.int64)
        self.mixup = build_mixup(cfg)
        self.batches = batch_bounds(len(labels), cfg.batch_size, even=self.mixup is not None)
        self.optimizer = OPTIMIZERS.create(cfg.optimizer.name, self.model.parameters(),
                                           **cfg.optimizer.params)
        self.scheduler = build_scheduler(self.optimizer, cfg, len(self.batches))
        self.ema = build_ema(cfg, self.model)
        weight = class_weights(self.order_labels).to(self.device) \
            if cfg.class_weighting == "balanced" else None
        self.loss_fn = build_loss(cfg, weight, mixed=self.mixup is not None)
        self.order_gen = torch.Generator().manual_seed(seed)
        self.early = EarlyStopping(minimise=cfg.monitor == "loss", patience=cfg.patience)
        self.best_state: dict[str, Tensor] | None = None
        self.epoch = 0
        self.history: list[dict] = []
        self.cadence = CheckpointCadence(cfg.checkpoint_every, cfg.checkpoint_minutes)

    # -- state ---------------------------------------------------------------------------------
    @property
    def checkpoint_path(self) -> Path:
        return self.out_dir / CHECKPOINT_NAME

    @property
    def eval_model(self) -> nn.Module:
        """The weights that are validated and kept: the EMA when it is on."""
        return self.ema.module if self.ema is not None else self.model

    @property
    def out_of_time(self) -> bool:
        """True once the epochs' wall time reaches ``cfg.max_minutes`` (at least one epoch
        runs; the schedule still spans ``cfg.epochs``; the best weights so far are kept)."""
        limit = self.cfg.max_minutes
        spent = sum(row["wall_seconds"] for row in self.history)
        return limit is not None and bool(self.history) and spent >= 60.0 * limit

    @property
    def done(self) -> bool:
        return self.epoch >= self.cfg.epochs or self.early.stopped or self.out_of_time

    def save(self) -> Path:
        """Write a resumable checkpoint of the current epoch (atomically, fsynced)."""
        self.cadence.written()
        return atomic_torch_save(self.checkpoint_path, {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "ema": self.ema.state_dict() if self.ema is not None else None,
            "best_state": self.best_state,
            "early_stopping": asdict(self.early),
            "rng": capture_rng(),
            "order_rng": self.order_gen.get_state(),
            "epoch": self.epoch,
            "history": self.history,
            "meta": self.meta,
        })

    def resume(self) -> bool:
        """Continue from ``checkpoint.pt`` in ``out_dir`` if there is one; True if resumed."""
        path = self.checkpoint_path
        if not path.is_file():
            return False
        try:
            state = safe_torch_load(path, what="classifier training checkpoint")
        except GanlabError as exc:  # one line: empty, truncated, foreign or unsafe
            raise TrainingError(
                str(exc), hint="start over without resuming, or use another output folder"
            ) from None
        if not isinstance(state, dict) or any(k not in state for k in STATE_KEYS):
            raise TrainingError(f"{path}: not a ganlab classifier training checkpoint.")
        theirs = state["meta"]
        diff = sorted(k for k in set(theirs) | set(self.meta) if theirs.get(k) != self.meta.get(k))
        if diff:
            raise TrainingError(
                f"{path} was written by a different classifier setup ({', '.join(diff)} "
                "differ). Start over without resuming, or use another output folder."
            )
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if self.ema is not None:
            self.ema.load_state_dict(state["ema"])
        self.best_state = state["best_state"]
        for key, value in state["early_stopping"].items():
            setattr(self.early, key, value)
        self.epoch, self.history = int(state["epoch"]), list(state["history"])
        restore_rng(state["rng"])
        self.order_gen.set_state(state["order_rng"])
        return True

    # -- training ------------------------------------------------------------------------------
    def _order(self) -> Tensor:
        if self.cfg.class_weighting == "sampler":
            weights = class_weights(self.order_labels)[self.order_labels].double()
            order = torch.multinomial(weights, len(weights), replacement=True,
                                      generator=self.order_gen)
        else:
            order = torch.randperm(len(self.order_labels), generator=self.order_gen)
        return order.to(self.device, non_blocking=True)

    def _set_training_images(self, images: Tensor, labels: Tensor) -> None:
        if len(labels) != len(self.labels):
            raise TrainingError(f"epoch {self.epoch + 1}: refreshed training set has "
                                f"{len(labels)} images, expected {len(self.labels)}")
        self.images, self.labels = images.to(self.device), labels.to(self.device)
        self.order_labels = labels.cpu()

    def _batch(self, idx: Tensor) -> tuple[Tensor, Tensor]:
        x = self.images[idx].float().div_(127.5).sub_(1.0)
        if self.augment is not None:
            x = self.augment(x)
        target = self.labels[idx]
        if self.mixup is not None:
            x, target = self.mixup(x, target)
        return x.contiguous(memory_format=torch.channels_last), target

    def train_epoch(self) -> dict[str, float]:
        """One pass over the training set; returns the epoch's history entry."""
        if isinstance(self.model, EpochHook):
            self.model.on_epoch_start(self.epoch)
        if self.refresh is not None and self.epoch > 0:
            self._set_training_images(*self.refresh(self.epoch))
        self.model.train()
        order, steps = self._order(), len(self.batches)
        total = torch.zeros((), device=self.device)
        seen, start = 0, time.perf_counter()
        for i, (a, b) in enumerate(self.batches):
            x, target = self._batch(order[a:b])
            loss = train_step(self.model, x, target, optimizer=self.optimizer,
                              loss_fn=self.loss_fn, scheduler=self.scheduler,
                              amp_dtype=self.amp_dtype)
            if self.ema is not None:
                self.ema.update(self.model, step=self.epoch * steps + i)
            total += loss * (b - a)
            seen += b - a
            if self.progress is not None:
                self.progress({"epoch": self.epoch + 1, "epochs": self.cfg.epochs,
                               "step": i + 1, "steps": steps, "images": seen})
        train_loss = float(total) / max(seen, 1)  # the epoch's one host sync
        if not math.isfinite(train_loss):
            raise TrainingError(
                f"classifier loss became {train_loss} in epoch {self.epoch + 1}; lower the "
                f"learning rate (classifier.optimizer.lr) or check the input images"
            )
        seconds = time.perf_counter() - start
        return {"epoch": self.epoch + 1, "train_loss": train_loss, "seconds": seconds,
                "img_per_s": seen / max(seconds, 1e-9),
                "lr": self.optimizer.param_groups[0]["lr"]}

    def validate(self) -> tuple[float, float]:
        """(monitored value, loss) of :attr:`eval_model` on the validation split."""
        logits = predict_logits(self.eval_model, self.val_images, device=self.device,
                                amp_dtype=self.amp_dtype)
        y = torch.from_numpy(self.y_val)
        val_loss = float(nn.functional.cross_entropy(logits, y))
        if self.cfg.monitor == "loss":
            return val_loss, val_loss
        prob = logits.softmax(1)[:, 1].double().numpy()
        scored = Scored("val", [], [], self.y_val, prob)
        thr = choose_threshold(self.cfg.threshold, self.cfg.fixed_threshold, scored)["value"]
        value = classification_metrics(self.y_val, prob, threshold=thr)[self.cfg.monitor]
        return float(value), val_loss

    def fit(self, report: Callable[[int, dict], None] | None = None) -> nn.Module:
        """Train until ``cfg.epochs`` or early stopping; returns the model with the best
        validation weights. A checkpoint (with the best weights so far) is written at the cadence
        of ``cfg.checkpoint_every`` / ``checkpoint_minutes``, after the last epoch, and before a
        ``report`` that raises (``optuna.TrialPruned``) propagates; a run killed in between
        resumes from the last one written and replays the same epochs."""
        monitor = f"val_{self.cfg.monitor}"
        while not self.done:
            start = time.perf_counter()
            row = self.train_epoch()
            self.epoch += 1
            value, val_loss = self.validate()
            row.update({"val_loss": val_loss, monitor: value,
                        "wall_seconds": time.perf_counter() - start})
            self.history.append(row)
            if self.early.update(value, self.epoch) or self.keep_last:
                self.best_state = {k: v.detach().to("cpu", copy=True)
                                   for k, v in self.eval_model.state_dict().items()}
            saved = self.cadence.due(self.epoch, last=self.done)
            if saved:
                self.save()
            if self.progress is not None:
                self.progress({**row, "epochs": self.cfg.epochs, "end": True})
            if report is not None:
                try:
                    report(self.epoch, {monitor: value, "val_loss": val_loss,
                                        "train_loss": row["train_loss"]})
                except BaseException:
                    if not saved:
                        self.save()
                    raise
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)
        return self.model
