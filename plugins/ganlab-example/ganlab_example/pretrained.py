"""The ``gan_stem`` classifier: a convolution stem taken from a GAN's discriminator.

It shows every optional capability of a classifier (``ganlab.contracts``) without importing
ganlab:

- ``UsesGanCheckpoint``: the factory's ``gan_checkpoint_param`` names ``gan_checkpoint``, so in a
  study ganlab trains a GAN and passes its checkpoint here when the study file leaves it unset;
- ``EpochHook``: ``on_epoch_start`` freezes the stem for the first ``freeze_epochs`` epochs;
- ``RebuildsParams``: ``rebuild_params`` records the stem's shape and drops the checkpoint path
  (the classifier checkpoint holds the weights), so the model rebuilds without the GAN.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class StemClassifier(nn.Module):
    """Stem convolution -> LeakyReLU -> global average pool -> linear head."""

    def __init__(self, stem: nn.Conv2d, *, num_classes: int, freeze_epochs: int,
                 rebuild_params: dict[str, Any]) -> None:
        super().__init__()
        self.stem = stem
        self.head = nn.Linear(stem.out_channels, num_classes)
        self.freeze_epochs = freeze_epochs
        self.rebuild_params = rebuild_params

    def on_epoch_start(self, epoch: int) -> None:
        """Train only the head while ``epoch`` (0-based) < ``freeze_epochs``."""
        self.stem.requires_grad_(epoch >= self.freeze_epochs)

    def forward(self, x: Tensor) -> Tensor:
        h = nn.functional.leaky_relu(self.stem(x), 0.2)
        return self.head(h.mean(dim=(2, 3)))


def _first_conv(path: str, channels: int) -> Tensor:
    """The weight of the first convolution over ``channels`` inputs in the GAN's discriminator."""
    state = torch.load(path, map_location="cpu", weights_only=True)["discriminator"]
    for value in state.values():
        if value.ndim == 4 and value.shape[1] == channels:
            return value
    raise ValueError(f"{path}: its discriminator has no convolution over {channels} channels")


def gan_stem(
    *,
    num_classes: int,
    image_size: int,
    channels: int,
    gan_checkpoint: str | None = None,
    width: int = 16,
    kernel: int = 4,
    freeze_epochs: int = 1,
) -> nn.Module:
    """A conv stem initialised from a GAN discriminator's first layer, plus a linear head.

    Args:
        num_classes: Number of logits (passed by ganlab).
        image_size: Side of the square input images (passed by ganlab).
        channels: Input channels (passed by ganlab).
        gan_checkpoint: A ganlab GAN checkpoint; in a study, the run's own GAN (filled in).
        width: Stem filters without a checkpoint (with one: the discriminator's).
        kernel: Stem kernel size without a checkpoint (with one: the discriminator's).
        freeze_epochs: Epochs during which only the head trains.
    """
    if gan_checkpoint is not None:
        weight = _first_conv(gan_checkpoint, channels)
        width, kernel = int(weight.shape[0]), int(weight.shape[-1])
    stem = nn.Conv2d(channels, width, kernel, stride=2, padding=kernel // 2 - 1 + kernel % 2,
                     bias=False)
    if gan_checkpoint is not None:
        with torch.no_grad():
            stem.weight.copy_(weight)
    return StemClassifier(stem, num_classes=num_classes, freeze_epochs=freeze_epochs,
                          rebuild_params={"gan_checkpoint": None, "width": width,
                                          "kernel": kernel})


gan_stem.gan_checkpoint_param = "gan_checkpoint"  # ganlab.contracts.UsesGanCheckpoint
gan_stem.search_space = {"freeze_epochs": {"type": "int", "low": 0, "high": 3}}
