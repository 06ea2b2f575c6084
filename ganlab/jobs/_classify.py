"""The classifier jobs: train a study file's classifier, score its trivial floors, score a
classifier on a folder."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganlab.classify import classify_from_config, evaluate_folder, floors_from_config
from ganlab.classify import predict_images as predict

if TYPE_CHECKING:
    from ganlab.classify import ClassifyResult, Prediction
    from ganlab.config import Config
    from ganlab.study import RunContext


@dataclass
class EvalResult:
    """What :func:`evaluate_classifier` measured (``metrics.json``'s content) and where."""

    metrics: dict[str, Any]
    out_dir: Path


def train_classifier(cfg: Config, ctx: RunContext, *, out_dir: Path | None = None,
                     seed: int | None = None, generator_checkpoint: Path | None = None,
                     resume: bool = False, refit: bool = False,
                     progress: Callable[[dict], None] | None = None) -> ClassifyResult:
    """Prepare ``cfg``'s data and train its classifier (a fold ensemble with
    ``data.split.folds >= 2``; see :func:`ganlab.classify.classify_from_config`).

    Args:
        cfg: The loaded study file.
        ctx: The job's context (device, study folder).
        out_dir: Output folder (default ``<study>/classify``).
        seed: Seed (default ``study.seed``).
        generator_checkpoint: A GAN checkpoint for synthetic images or GAN pretraining.
        resume: Continue an interrupted run in ``out_dir``.
        refit: Retrain the validated run in ``out_dir`` on train + validation.
        progress: The trainer's per-step and per-epoch callback.
    """

    return classify_from_config(cfg, work_dir=ctx.study.root, out_dir=out_dir,
                                device=ctx.device, seed=seed,
                                generator_checkpoint=generator_checkpoint, progress=progress,
                                resume=resume, refit=refit)


def score_floors(cfg: Config, ctx: RunContext, *, out_dir: Path | None = None,
                 seed: int | None = None) -> dict[str, dict[str, Any]]:
    """Score ``cfg``'s trivial floors on its split: the majority class and a colour-histogram
    logistic regression (saved as a classifier that :func:`evaluate_classifier` loads).

    Returns ``{floor name: metrics}`` (val and test metrics with intervals, the threshold and,
    for a saved floor, its ``model`` path). ``out_dir`` defaults to ``<study>/classify``.
    """

    return floors_from_config(cfg, work_dir=ctx.study.root, out_dir=out_dir, seed=seed)


def evaluate_classifier(ctx: RunContext, *, checkpoint: Path, folder: Path,
                        out_dir: Path | None = None, bootstrap: int = 1000,
                        tta: bool | str | None = None) -> EvalResult:
    """Score a trained classifier on an image folder it never saw (its own preprocessing).

    It needs no study file: ``ctx`` may be ``RunContext.local(device=...)``.

    Args:
        ctx: The job's context (its device).
        checkpoint: The classifier's ``model.pt``.
        folder: A class-per-folder image set.
        out_dir: Output folder (default ``<checkpoint folder>/eval-<folder name>``).
        bootstrap: Bootstrap resamples of the intervals.
        tta: Test-time views instead of the checkpoint's (False, ``flips``, ``dihedral``).
    """

    out_dir = out_dir or checkpoint.parent / f"eval-{folder.resolve().name}"
    metrics = evaluate_folder(checkpoint, folder, out_dir=out_dir, device=ctx.device,
                              n_boot=bootstrap, tta=tta)
    return EvalResult(metrics, out_dir)


def predict_images(ctx: RunContext, *, checkpoint: Path, images: Sequence[Path]
                   ) -> list[Prediction]:
    """Each image's positive-class probability and predicted class (``ctx``: its device)."""

    return predict(checkpoint, images, device=ctx.device)
