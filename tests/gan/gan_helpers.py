"""Helpers shared by the GAN tests (imported as ``from gan_helpers import ...``)."""

from __future__ import annotations

import dataclasses

import torch

from ganlab.config import FidConfig, GanConfig, PluginRef
from ganlab.data import ImageSet
from ganlab.gan import train_gan


def tiny_set(n: int = 32, size: int = 16, seed: int = 0) -> ImageSet:
    """Random uint8 images with two classes (blobs brighter for class 1, so labels matter)."""
    g = torch.Generator().manual_seed(seed)
    labels = (torch.arange(n) % 2).long()
    images = torch.randint(0, 160, (n, 3, size, size), dtype=torch.uint8, generator=g)
    images[labels == 1, :, 4:12, 4:12] += 90
    return ImageSet(images, labels, [f"x/{i}.png" for i in range(n)],
                    [f"{i}.png" for i in range(n)], ("benign", "malignant"))


def tiny_cfg(**changes) -> GanConfig:
    base = GanConfig(
        generator=PluginRef("dcgan", {"ngf": 8}),
        discriminator=PluginRef("dcgan", {"ndf": 8}),
        nz=16, batch_size=8, epochs=2, sample_every=1, fid=FidConfig(enabled=False),
    )
    return dataclasses.replace(base, **changes)


def straight_and_resumed(cfg: GanConfig, train_set: ImageSet, tmp_path) -> tuple:
    """Train ``cfg`` 2 epochs straight (``tmp_path/s``) and as 1 epoch then a resume to 2
    (``tmp_path/r``), seed 1: both results and both final checkpoints."""
    cpu = torch.device("cpu")
    s = train_gan(dataclasses.replace(cfg, epochs=2), train_set, out_dir=tmp_path / "s",
                  device=cpu, seed=1)
    train_gan(dataclasses.replace(cfg, epochs=1), train_set, out_dir=tmp_path / "r",
              device=cpu, seed=1)
    r = train_gan(dataclasses.replace(cfg, epochs=2), train_set, out_dir=tmp_path / "r",
                  device=cpu, seed=1)
    return (s, r, torch.load(s.checkpoint, weights_only=True),
            torch.load(r.checkpoint, weights_only=True))
