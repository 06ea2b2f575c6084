"""Training sets of the three data modes: real, real + synthetic, synthetic only.

Synthetic images come from a class-conditional GAN checkpoint, generated once per run with the
run's seed. They are **class-balanced** (labels alternate 0, 1, 0, 1, ...), so synthesis also
nudges the training prior towards 50/50; the validation and test sets stay real.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from ganlab.config import ClassifierConfig
from ganlab.errors import ConfigError


@dataclass
class TrainingSet:
    """Images (uint8) and labels the classifier trains on, with their provenance counts."""

    images: Tensor
    labels: Tensor
    n_real: int
    n_synthetic: int
    synthetic_labels: tuple[int, int] = (0, 0)  # synthetic images per label 0, 1


def synthesize(
    generator_checkpoint: str | Path,
    n: int,
    *,
    image_size: int,
    class_names: tuple[str, str],
    device: torch.device,
    seed: int,
) -> tuple[Tensor, Tensor]:
    """``n`` class-balanced uint8 images and their labels from a conditional GAN checkpoint."""
    from ganlab.gan import generate, load_generator

    generator, meta = load_generator(generator_checkpoint, device=device)
    if not meta.get("num_classes"):
        raise ConfigError(
            f"GAN checkpoint {generator_checkpoint} holds an unconditional generator; labelled "
            f"synthetic images need gan.conditional = true"
        )
    if meta.get("image_size") not in (None, image_size):
        raise ConfigError(
            f"GAN checkpoint {generator_checkpoint} makes {meta['image_size']} px images, the "
            f"classifier data is {image_size} px; set the same data.image_size for both"
        )
    names = tuple(meta.get("class_names") or class_names)
    if names != tuple(class_names):
        raise ConfigError(
            f"GAN checkpoint {generator_checkpoint} was trained on classes {names}, the data "
            f"has {tuple(class_names)}; use a GAN trained on the same image set"
        )
    labels = torch.arange(n) % 2
    images = generate(generator, n, nz=int(meta["nz"]), labels=labels, device=device, seed=seed)
    return images.to(torch.uint8).cpu(), labels.long()


def build_training_set(
    cfg: ClassifierConfig,
    images: Tensor,
    labels: Tensor,
    *,
    class_names: tuple[str, str],
    generator_checkpoint: str | Path | None,
    device: torch.device,
    seed: int,
) -> TrainingSet:
    """The training set of ``cfg.mode`` from the real training images.

    ``real+synthetic`` adds ``round(synthetic_ratio * n_real)`` synthetic images (ratio 0 is the
    no-GAN control and needs no checkpoint); ``synthetic`` trains on ``n_real`` synthetic images
    (or ``synthetic_ratio * n_real`` when the ratio is set) and no real ones.
    """
    n_real = len(labels)
    if cfg.mode == "real" or (cfg.mode == "real+synthetic" and cfg.synthetic_ratio == 0):
        return TrainingSet(images, labels, n_real, 0)
    if generator_checkpoint is None:
        raise ConfigError(
            f"classifier.mode = {cfg.mode!r} needs a GAN checkpoint", path="generator_checkpoint",
            hint="enable [gan] in the study, or give the checkpoint of a trained GAN",
        )
    ratio = cfg.synthetic_ratio if cfg.synthetic_ratio > 0 else 1.0
    n_syn = max(2, round(ratio * n_real))
    syn_images, syn_labels = synthesize(
        generator_checkpoint, n_syn, image_size=images.shape[-1], class_names=class_names,
        device=device, seed=seed,
    )
    per_label = (int((syn_labels == 0).sum()), int((syn_labels == 1).sum()))
    if cfg.mode == "synthetic":
        return TrainingSet(syn_images, syn_labels, 0, n_syn, per_label)
    return TrainingSet(
        torch.cat([images, syn_images]), torch.cat([labels, syn_labels]), n_real, n_syn, per_label
    )
