"""The GAN jobs: train a study file's GAN, score a GAN checkpoint on the study's data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganlab.config import config_record
from ganlab.data import build_augmentation
from ganlab.gan import train_gan as train
from ganlab.io import atomic_write_json
from ganlab.jobs._data import prepare_data
from ganlab.study import evaluate_gan
from ganlab.study.events import EpochEnd

if TYPE_CHECKING:
    from ganlab.config import Config
    from ganlab.gan import GanResult
    from ganlab.study import RunContext


@dataclass
class GanJobResult:
    """What :func:`train_gan` did: the trainer's result, where, and on which device."""

    gan: GanResult
    out_dir: Path
    device: Any  # the torch.device it trained on


@dataclass
class GanScore:
    """What :func:`score_gan` measured (``ganlab.study.evaluate_gan``'s figures) and where."""

    figures: dict[str, Any]
    out_dir: Path

    @property
    def path(self) -> Path:
        """The written ``gan_metrics.json``."""
        return self.out_dir / "gan_metrics.json"


def train_gan(cfg: Config, ctx: RunContext, *, out_dir: Path | None = None,
              resume: bool = True, progress: Callable[[dict], None] | None = None
              ) -> GanJobResult:
    """Train ``cfg``'s GAN on its training split (resumable after a kill).

    Each epoch goes to ``ctx.on_event`` as an :class:`~ganlab.study.events.EpochEnd` and to
    the study's trackers (``study.tensorboard``).

    Args:
        cfg: The loaded study file.
        ctx: The job's context (device, study folder, trackers, progress sink).
        out_dir: Output folder (default ``<study>/gan``).
        resume: Continue an existing checkpoint.
        progress: The trainer's per-step callback (a progress bar).
    """

    data = prepare_data(cfg, ctx)
    out_dir = out_dir or ctx.study.root / "gan"
    atomic_write_json(out_dir / "study-config.json", config_record(cfg))

    def epoch(phase: str, n: int, metrics: dict) -> None:
        ctx.on_event(EpochEnd(phase, n, dict(metrics), cfg.gan.epochs))

    with ctx.trackers.opened(out_dir) as log:
        both = ctx.trackers.report(epoch, log,
                                   lambda: sorted((out_dir / "samples").glob("epoch_*.png")))
        assert both is not None
        result = train(cfg.gan, data.train, out_dir=out_dir, device=ctx.device,
                       seed=cfg.study.seed, augment=build_augmentation(cfg.data.augmentations),
                       resume=resume, progress=progress,
                       report=lambda n, metrics: both("gan", n, metrics))
    return GanJobResult(result, out_dir, ctx.device)


def score_gan(cfg: Config, ctx: RunContext, *, checkpoint: Path, out_dir: Path | None = None,
              feature_checkpoint: Path | None = None) -> GanScore:
    """Offline GAN metrics of ``checkpoint`` on ``cfg``'s data: per-class precision, recall,
    density, coverage, the collapse check and, with ``gan.metrics.tstr``, TSTR.

    Args:
        cfg: The study file whose data the GAN was trained on.
        ctx: The job's context (device, study folder).
        checkpoint: The GAN's ``checkpoint.pt``.
        out_dir: Output folder (default ``metrics/`` next to the checkpoint).
        feature_checkpoint: A classifier ``model.pt`` to take features from (default: one
            trained on the real train side, cached per study).
    """

    data = prepare_data(cfg, ctx)
    out_dir = out_dir or checkpoint.parent / "metrics"
    figures = evaluate_gan(cfg, data, checkpoint, out_dir=out_dir, work_dir=ctx.study.root,
                           device=ctx.device, seed=cfg.study.seed,
                           feature_checkpoint=feature_checkpoint)
    return GanScore(figures, out_dir)
