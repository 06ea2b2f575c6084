"""Training sets of the three data modes: real, real + synthetic, synthetic only.

Synthetic images come from a class-conditional GAN checkpoint, generated once per run with the
run's seed, or (``classifier.synthetic_refresh = "epoch"``) drawn afresh for every epoch by
:class:`SyntheticRefresh`. They are **class-balanced** (labels alternate 0, 1, 0, 1, ...), so
synthesis also nudges the training prior towards 50/50; the validation and test sets stay real.
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


def load_label_generator(
    generator_checkpoint: str | Path,
    *,
    image_size: int,
    class_names: tuple[str, str],
    device: torch.device,
) -> tuple[torch.nn.Module, int]:
    """The conditional generator of a GAN checkpoint and its latent size, checked against the
    classifier data (image size, class names)."""
    from ganlab.gan import load_generator

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
    return generator, int(meta["nz"])


def _draw(generator: torch.nn.Module, nz: int, n: int, *, device: torch.device,
          seed: int) -> tuple[Tensor, Tensor]:
    from ganlab.gan import generate

    labels = torch.arange(n) % 2
    images = generate(generator, n, nz=nz, labels=labels, device=device, seed=seed)
    return images.to(torch.uint8).cpu(), labels.long()


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
    generator, nz = load_label_generator(generator_checkpoint, image_size=image_size,
                                         class_names=class_names, device=device)
    return _draw(generator, nz, n, device=device, seed=seed)


def epoch_seed(seed: int, epoch: int) -> int:
    """Seed of epoch ``epoch``'s synthetic images (epoch 0: the run's seed, as when drawn once)."""
    return seed + 1_000_003 * epoch


class SyntheticRefresh:
    """A fresh synthetic part of the training set for every epoch (``synthetic_refresh =
    "epoch"``): the same size and labels each epoch, new latent vectors seeded by
    :func:`epoch_seed`, so a resumed run draws what an uninterrupted one would."""

    def __init__(self, train: TrainingSet, generator_checkpoint: str | Path, *,
                 class_names: tuple[str, str], device: torch.device, seed: int) -> None:
        self.real_images = train.images[: train.n_real]
        self.real_labels = train.labels[: train.n_real]
        self.n_synthetic, self.device, self.seed = train.n_synthetic, device, seed
        self.generator, self.nz = load_label_generator(
            generator_checkpoint, image_size=int(train.images.shape[-1]),
            class_names=class_names, device=device)

    def __call__(self, epoch: int) -> tuple[Tensor, Tensor]:
        """The training images and labels of ``epoch`` (0-based)."""
        images, labels = _draw(self.generator, self.nz, self.n_synthetic, device=self.device,
                               seed=epoch_seed(self.seed, epoch))
        if len(self.real_labels) == 0:
            return images, labels
        return torch.cat([self.real_images, images]), torch.cat([self.real_labels, labels])


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
