"""Differentiable discriminator augmentations: DiffAugment and ADA (kind ``gan_augmentations``).

Both are written in plain torch rather than with ``kornia.augmentation``: they need per-sample
parameters drawn from one torch RNG (seeded, resumable) on the batch's device, gradients to the
generator through every op, and no host sync (ADA's p is a device tensor). Kornia's random
augmentations draw their parameters through their own samplers and add per-call overhead that
is a visible fraction of a 64 px CPU step; the ops themselves (a gather, a mask, a colour matrix,
one ``grid_sample``) are a few lines of torch.
"""

from __future__ import annotations

from ganlab_plugins.gan_augmentations._ada import AdaptiveAugment, ada
from ganlab_plugins.gan_augmentations._diffaugment import DiffAugment, diffaugment

__all__ = ["AdaptiveAugment", "DiffAugment", "ada", "diffaugment"]
