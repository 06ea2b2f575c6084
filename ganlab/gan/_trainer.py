"""The GAN trainer: k discriminator steps per generator step over a device-resident image set.

The whole training set moves to the device once as uint8 and each batch is converted to
``x / 127.5 - 1`` there (no DataLoader). Each epoch appends a history entry, may write a sample
grid from fixed noise and a resumable checkpoint, runs the health checks and calls ``report``.

Data-efficient options (``gan.augment``, ``gan.ema``, ``gan.r1``): a differentiable augmentation
of real and fake batches before D, an EMA copy of the generator (used for grids, metrics and
synthesis, and exported as the checkpoint's generator for classification) and a lazy R1 penalty.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ganlab.config import GanConfig
from ganlab.contracts import AdaptiveGanAugmentation, ReportsDiscriminatorCollapse
from ganlab.device import choose_precision
from ganlab.errors import TrainingError
from ganlab.gan._aux import AuxClassifier
from ganlab.gan._build import (
    build_discriminator,
    build_gan_augmentation,
    build_generator,
    build_loss,
    build_optimizers,
)
from ganlab.gan._checkpoint import read_checkpoint, save_checkpoint
from ganlab.gan._collapse import ClassCollapseDetector
from ganlab.gan._compile import CompiledDiscriminator
from ganlab.gan._ema import GeneratorEma
from ganlab.gan._history import HistoryLog
from ganlab.gan._monitor import HealthMonitor
from ganlab.gan._plots import plot_history
from ganlab.gan._rng import capture_rng, restore_rng
from ganlab.gan._sampling import (
    fixed_inputs,
    generate,
    mean_pairwise_distance,
    save_grid,
    to_uint8,
)
from ganlab.gan._steps import autocast, d_step, g_step
from ganlab.io import CheckpointCadence, atomic_write_json
from ganlab.metrics import plan_training_fid
from ganlab.seeding import seed_everything

GRID_SIZE = 64  # fixed-noise samples per grid (8 x 8)
CHECKPOINT_NAME = "checkpoint.pt"
# Meta values of checkpoints written before a key existed, so they still resume.
_ABSENT: dict[str, Any] = {"augment": None, "ema": False, "aux_classifier": None}


@dataclass
class GanResult:
    """What a GAN run produced."""

    checkpoint: Path  # final checkpoint (resumable)
    history: list[dict]  # per epoch: d_loss, g_loss, d_real, d_fake, img_per_s, ...
    sample_grids: list[Path]  # PNG grids from fixed noise
    metrics: dict = field(default_factory=dict)  # fid, kid, fid_protocol when computed


class GanTrainer:
    """Holds the networks, optimizers and data of one run; :meth:`fit` trains it.

    Args:
        cfg: The ``[gan]`` table.
        train: The training :class:`~ganlab.data.ImageSet` (uint8 images, labels, class names).
        out_dir: Folder for the checkpoint, sample grids, history and curves.
        device: Training device.
        seed: Run seed (weights, noise, batch order).
        augment: Optional batch augmentation applied to real batches (``data.augmentations``;
            skipped when ``gan.data_augment`` is false).
        progress: Optional callback called after every step with a dict of ``epoch``,
            ``epochs``, ``step``, ``steps`` and, every 10 steps, ``d_loss`` and ``g_loss``.
    """

    def __init__(
        self,
        cfg: GanConfig,
        train: Any,
        *,
        out_dir: Path,
        device: torch.device,
        seed: int,
        augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
        progress: Callable[[dict], None] | None = None,
    ) -> None:
        if len(train.images) == 0:
            raise TrainingError("the GAN training set is empty; check data.root and the split")
        self.cfg, self.device, self.seed = cfg, torch.device(device), seed
        self.out_dir = Path(out_dir)
        self.augment = augment if cfg.data_augment else None
        self.progress = progress
        self.class_names = list(train.class_names)
        self.num_classes = len(self.class_names) if cfg.conditional else 0
        _, self.channels, size, _ = train.images.shape
        self.image_size = size
        self.precision = choose_precision(cfg.amp, self.device)  # recorded in the checkpoint
        self.amp_dtype = self.precision.dtype
        self.channels_last = cfg.channels_last
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True

        seed_everything(seed)  # the networks' initial weights, in this order
        self._build_networks(cfg)
        self._hold_data(train)

    def _build_networks(self, cfg: GanConfig) -> None:
        """Generator, discriminator, loss, D augmentation, optimizers, EMA (seeded before)."""
        self.generator = build_generator(
            cfg.generator, nz=cfg.nz, image_size=self.image_size, channels=self.channels,
            num_classes=self.num_classes,
        )
        self.discriminator = build_discriminator(
            cfg.discriminator, image_size=self.image_size, channels=self.channels,
            num_classes=self.num_classes,
        )
        self.loss = build_loss(cfg.loss)
        self.d_augment = build_gan_augmentation(cfg.augment)
        self.aux = (
            AuxClassifier(self.discriminator, num_classes=self.num_classes,
                          weight=cfg.aux_classifier.weight).to(self.device)
            if cfg.aux_classifier is not None else None
        )
        fmt = torch.channels_last if self.channels_last else torch.contiguous_format
        for net in (self.generator, self.discriminator):
            net.to(self.device, memory_format=fmt).train()
        self.g_opt, self.d_opt = build_optimizers(
            cfg, self.generator, self.discriminator, *([self.aux] if self.aux else [])
        )
        self.ema = (
            GeneratorEma(self.generator, decay=cfg.ema.decay, ramp=cfg.ema.ramp)
            if cfg.ema is not None else None
        )
        self.d_steps = 0  # discriminator steps so far (lazy R1 schedule)
        self.g_run, self.d_run = self.generator, self.discriminator
        if cfg.compile:
            mode = cfg.compile if isinstance(cfg.compile, str) else None
            self.g_run = torch.compile(self.generator, mode=mode)
            self.d_run = CompiledDiscriminator(self.discriminator, mode=mode)

    def _hold_data(self, train: Any) -> None:
        """Training images on the device, fixed grid inputs, health and collapse monitors."""
        cfg, seed = self.cfg, self.seed
        self.images = train.images.to(self.device)
        self.labels = train.labels.to(self.device) if self.num_classes else None
        self.fixed_z, self.fixed_y = fixed_inputs(
            GRID_SIZE, nz=cfg.nz, num_classes=self.num_classes, seed=seed
        )
        self.real_diversity = mean_pairwise_distance(train.images[:GRID_SIZE])
        watch = (
            bool(self.loss.watch_d_collapse)
            if isinstance(self.loss, ReportsDiscriminatorCollapse) else True
        )
        self.monitor = HealthMonitor(watch_d_collapse=watch)
        self.collapse = ClassCollapseDetector(  # per-class collapse, on the data's device
            self.images, self.labels, self.class_names,
            ratio=cfg.metrics.collapse_ratio, fail=cfg.metrics.collapse == "fail", seed=seed,
        )
        self.epoch = 0
        self.history: list[dict] = []
        self.history_log = HistoryLog(self.out_dir / "history.jsonl")
        self.cadence = CheckpointCadence(cfg.checkpoint_every, cfg.checkpoint_minutes)

    # -- state ---------------------------------------------------------------------------------
    @property
    def checkpoint_path(self) -> Path:
        return self.out_dir / CHECKPOINT_NAME

    def meta(self) -> dict[str, Any]:
        """What a checkpoint needs to rebuild the networks without the config or the data."""
        return {
            "nz": self.cfg.nz,
            "image_size": self.image_size,
            "channels": self.channels,
            "num_classes": self.num_classes,
            "class_names": self.class_names,
            "generator": self.cfg.generator.as_dict(),
            "discriminator": self.cfg.discriminator.as_dict(),
            "loss": self.cfg.loss.as_dict(),
            "seed": self.seed,
            "augment": self.cfg.augment.as_dict() if self.cfg.augment else None,
            "ema": self.ema is not None,
            "aux_classifier": (
                dataclasses.asdict(self.cfg.aux_classifier) if self.cfg.aux_classifier else None
            ),
        }

    def save(self) -> Path:
        """Write a resumable checkpoint of the current epoch (atomically, fsynced)."""
        self.cadence.written()
        return save_checkpoint(
            self.checkpoint_path,
            {
                "generator": self.generator.state_dict(),
                "discriminator": self.discriminator.state_dict(),
                "g_optimizer": self.g_opt.state_dict(),
                "d_optimizer": self.d_opt.state_dict(),
                "scaler": {},  # bf16 autocast needs no loss scaling
                "rng": capture_rng(),
                "epoch": self.epoch,
                "history": self.history,
                "monitor": self.monitor.state(),
                "fixed_noise": self.fixed_z,
                "fixed_labels": self.fixed_y,
                "meta": self.meta(),
                "ema": self.ema.state_dict() if self.ema is not None else {},
                "augment_state": (
                    self.d_augment.state_dict()
                    if isinstance(self.d_augment, AdaptiveGanAugmentation) else {}
                ),
                "d_steps": self.d_steps,
                "aux_head": self.aux.state_dict() if self.aux is not None else {},
                "precision": self.precision.record(),  # of the run's latest epochs
            },
        )

    def resume(self) -> bool:
        """Continue from ``checkpoint.pt`` in ``out_dir`` if there is one; True if resumed."""
        if not self.checkpoint_path.is_file():
            return False
        # Load to the CPU: RNG states must stay CPU byte tensors, and load_state_dict moves
        # weights and optimizer moments to each parameter's device (Adam's step stays on the CPU).
        try:
            state = read_checkpoint(self.checkpoint_path, map_location="cpu")
        except TrainingError as exc:  # unreadable: say how to start over
            raise TrainingError(f"{exc}; delete it (or start without resuming) to train from "
                                "scratch") from None
        theirs, ours = state["meta"], self.meta()
        diff = [
            k for k in ours
            if k not in ("seed", "class_names") and theirs.get(k, _ABSENT.get(k)) != ours[k]
        ]
        if diff:
            raise TrainingError(
                f"{self.checkpoint_path} was written by a different GAN setup ({', '.join(diff)} "
                "differ)", path=("resume", "out_dir"),
                hint="start over without resuming, or use another output folder",
            )
        self.generator.load_state_dict(state["generator"])
        self.discriminator.load_state_dict(state["discriminator"])
        self.g_opt.load_state_dict(state["g_optimizer"])
        self.d_opt.load_state_dict(state["d_optimizer"])
        self.monitor.load_state(state.get("monitor", {}))
        if self.ema is not None:
            self.ema.load_state_dict(state["ema"])
        if self.aux is not None:
            self.aux.load_state_dict(state["aux_head"])
        if isinstance(self.d_augment, AdaptiveGanAugmentation):
            self.d_augment.load_state_dict(state["augment_state"])
        self.d_steps = int(state.get("d_steps", 0))
        self.epoch = int(state["epoch"])
        self.history = list(state["history"])
        self.history_log.rewrite(self.history)
        restore_rng(state["rng"])
        return True

    # -- training ------------------------------------------------------------------------------
    def _batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        real = self.images[idx].float().div_(127.5).sub_(1.0)
        if self.augment is not None:
            real = self.augment(real)
        if self.channels_last:
            real = real.contiguous(memory_format=torch.channels_last)
        return real, (self.labels[idx] if self.labels is not None else None)

    def train_step(self, idx: torch.Tensor, *, g_turn: bool) -> dict[str, torch.Tensor]:
        """One discriminator step on the images ``idx`` and, on the generator's turn, one
        generator step; the detached outputs of both (``d_step``'s and ``g_step``'s keys).

        Nothing here reads a value back to the host or copies one to the device: the losses
        stay on the device until the epoch's bookkeeping (tests/gan/test_host_sync.py).
        """
        if self.cfg.compile == "reduce-overhead":
            torch.compiler.cudagraph_mark_step_begin()  # the last step's graph outputs are done
        real, labels = self._batch(idx)
        z = torch.randn(len(idx), self.cfg.nz, device=self.device)
        with torch.set_grad_enabled(g_turn), autocast(self.device, self.amp_dtype):
            fake = self.g_run(z, labels)
        out = d_step(
            discriminator=self.d_run, loss=self.loss, optimizer=self.d_opt, real=real,
            fake=fake, labels=labels, amp_dtype=self.amp_dtype, augment=self.d_augment,
            r1_weight=self._r1_weight(), penalty_discriminator=self.discriminator, aux=self.aux,
        )
        self.d_steps += 1
        if isinstance(self.d_augment, AdaptiveGanAugmentation):
            self.d_augment.observe(out["d_real_logits"])
        if g_turn:
            out.update(g_step(
                discriminator=self.d_run, loss=self.loss, optimizer=self.g_opt, fake=fake,
                labels=labels, amp_dtype=self.amp_dtype, augment=self.d_augment, aux=self.aux,
            ))
            if self.ema is not None:
                self.ema.update(self.generator)
        return out

    def train_epoch(self) -> dict[str, float]:
        """One pass over the training set; returns the epoch's history entry."""
        cfg, n = self.cfg, len(self.images)
        bs = min(cfg.batch_size, n)
        steps = n // bs
        k = cfg.n_critic
        perm = torch.randperm(n).to(self.device)
        zero = torch.zeros((), device=self.device)
        sums = {"d_loss": zero, "d_real": zero, "d_fake": zero, "g_loss": zero}
        d_count = g_count = r1_count = 0
        start = time.perf_counter()
        for i in range(steps):
            g_turn = (i + 1) % k == 0
            out = self.train_step(perm[i * bs : (i + 1) * bs], g_turn=g_turn)
            for key in ("d_loss", "d_real", "d_fake"):
                sums[key] = sums[key] + out[key]
            if "r1" in out:
                sums["r1"] = sums.get("r1", zero) + out["r1"]
                r1_count += 1
            for key in ("aux_d", "aux_g"):
                if key in out:
                    sums[key] = sums.get(key, zero) + out[key]
            d_count += 1
            if g_turn:
                sums["g_loss"] = sums["g_loss"] + out["g_loss"]
                g_count += 1
            if self.progress is not None:
                event = {"epoch": self.epoch + 1, "epochs": cfg.epochs, "step": i + 1,
                         "steps": steps, "images": (i + 1) * bs}
                if (i + 1) % 10 == 0 or i + 1 == steps:  # a host sync, for the progress bar
                    event["d_loss"] = float(out["d_loss"])
                    event["g_loss"] = float(sums["g_loss"] / max(g_count, 1))
                self.progress(event)
        return self._epoch_entry(sums, d_count=d_count, g_count=g_count, r1_count=r1_count,
                                 images=steps * bs, steps=steps, start=start)

    def _epoch_entry(self, sums: dict[str, torch.Tensor], *, d_count: int, g_count: int,
                     r1_count: int, images: int, steps: int, start: float) -> dict[str, float]:
        """The history entry of an epoch from its summed losses (one host sync)."""
        values = {key: float(t) for key, t in sums.items()}
        seconds = time.perf_counter() - start
        entry = {
            "epoch": self.epoch + 1,
            "d_loss": values["d_loss"] / max(d_count, 1),
            "g_loss": values["g_loss"] / max(g_count, 1),
            "d_real": values["d_real"] / max(d_count, 1),
            "d_fake": values["d_fake"] / max(d_count, 1),
            "img_per_s": images / seconds if seconds > 0 else float("inf"),
            "seconds": seconds,
            "steps": steps,
        }
        if r1_count:
            entry["r1"] = values["r1"] / r1_count
        if "aux_d" in values:  # the class head's cross-entropy on real and on fake images
            entry["aux_d"] = values["aux_d"] / max(d_count, 1)
            entry["aux_g"] = values.get("aux_g", 0.0) / max(g_count, 1)
        if isinstance(self.d_augment, AdaptiveGanAugmentation):
            entry.update(self.d_augment.stats())
        return entry

    def _r1_weight(self) -> float:
        """``gamma * every`` on the lazy R1 steps (every N-th D step), else 0."""
        r1 = self.cfg.r1
        if r1 is None or r1.gamma <= 0 or self.d_steps % r1.every:
            return 0.0
        return r1.gamma * r1.every

    @property
    def sampler(self) -> torch.nn.Module:
        """The generator shown and exported: the EMA copy when there is one."""
        return self.ema.module if self.ema is not None else self.generator

    def fixed_samples(self) -> torch.Tensor:
        """The fixed-noise samples (uint8, on the device; eval mode) shown in the grids and
        measured by the diversity checks (the EMA generator when enabled)."""
        net = self.sampler
        was_training = net.training
        net.eval()
        try:
            with torch.no_grad(), autocast(self.device, self.amp_dtype):
                z = self.fixed_z.to(self.device)
                y = None if self.fixed_y is None else self.fixed_y.to(self.device)
                return to_uint8(net(z, y))
        finally:
            net.train(was_training)

    def grid_paths(self) -> list[Path]:
        return sorted((self.out_dir / "samples").glob("epoch_*.png"))

    def fit(self, report: Callable[[int, dict], None] | None = None) -> GanResult:
        """Train until ``cfg.epochs``; grids, checks and ``report`` every epoch, a checkpoint at
        the cadence of ``cfg.checkpoint_every`` / ``checkpoint_minutes`` and after the last."""
        cfg = self.cfg
        while self.epoch < cfg.epochs:
            entry = self.train_epoch()
            self.epoch += 1
            samples = self.fixed_samples()
            entry["diversity"] = mean_pairwise_distance(samples)
            self.history.append(entry)
            self.monitor.check(self.epoch, entry, real_diversity=self.real_diversity)
            last = self.epoch == cfg.epochs
            if self.epoch % cfg.sample_every == 0 or last or self.epoch == 1:
                save_grid(samples.cpu(), self.out_dir / "samples" / f"epoch_{self.epoch:04d}.png")
            if (self.epoch % cfg.sample_every == 0 or last) and cfg.metrics.collapse != "off":
                measured, reason = self.collapse.check(self.epoch, samples, self.fixed_y)
                entry["class_diversity"] = {k: round(m["ratio"], 4) for k, m in measured.items()}
                entry["class_collapse"] = reason  # per-class collapse; ganlab.study flags it
            saved = self.cadence.due(self.epoch, last=last)
            if saved:
                self.save()
            self.history_log.append(entry)  # O(1) per epoch; history.json is written at the end
            if report is not None:
                try:
                    report(self.epoch, dict(entry))
                except BaseException:
                    if not saved:
                        self.save()
                    raise
        if not self.checkpoint_path.is_file():
            self.save()
        atomic_write_json(self.out_dir / "history.json", self.history)
        if self.history:
            plot_history(self.history, self.out_dir / "loss_curves.png")
        return GanResult(self.checkpoint_path, list(self.history), self.grid_paths())


def train_gan(
    cfg: GanConfig,
    train: Any,
    *,
    out_dir: Path,
    device: torch.device,
    seed: int,
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
    resume: bool = True,
    report: Callable[[int, dict], None] | None = None,
    progress: Callable[[dict], None] | None = None,
) -> GanResult:
    """Train a GAN on ``train`` and write its checkpoint, grids and curves into ``out_dir``.

    With ``resume`` an existing ``out_dir/checkpoint.pt`` of the same setup is continued exactly
    (weights, optimizers, RNG states, history); without it the run starts over. FID/KID are
    computed at the end when ``cfg.fid.enabled`` and the backbone's weights are available.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    scorer, skipped = plan_training_fid(cfg.fid)  # fails fast when required weights are missing
    trainer = GanTrainer(
        cfg, train, out_dir=out_dir, device=device, seed=seed, augment=augment, progress=progress
    )
    if not (resume and trainer.resume()):
        for old in trainer.grid_paths():
            os.remove(old)
        trainer.history_log.rewrite([])
    result = trainer.fit(report)
    if scorer is not None:
        labels = None
        if trainer.num_classes:
            gen = torch.Generator().manual_seed(seed + 1)
            pick = torch.randint(len(train.labels), (cfg.fid.n_fake,), generator=gen)
            labels = train.labels[pick]
        fake = generate(
            trainer.sampler, cfg.fid.n_fake, nz=cfg.nz, labels=labels, device=device,
            seed=seed + 2,
        )
        result.metrics = scorer(train.images, fake, device=device)
    else:
        result.metrics = {"fid_skipped": skipped}
    result.metrics["precision"] = trainer.precision.record()
    atomic_write_json(out_dir / "metrics.json", result.metrics)
    return result
