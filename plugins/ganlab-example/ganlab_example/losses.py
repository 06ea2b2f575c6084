"""The ``softplus`` GAN loss: the non-saturating logistic loss as StyleGAN writes it.

It has the ``ReportsDiscriminatorCollapse`` capability of ``ganlab.contracts``: its
``watch_d_collapse`` attribute tells ganlab's health monitor whether a discriminator loss stuck
near 0 (while the generator loss explodes) counts as a collapsed run.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class SoftplusLoss:
    """D: softplus(-D(real)) + softplus(D(fake)); G: softplus(-D(fake)); means over the batch."""

    watch_d_collapse: bool = True

    def d_loss(self, *, d_real, d_fake, real, fake, discriminator, labels) -> torch.Tensor:
        return F.softplus(-d_real.float()).mean() + F.softplus(d_fake.float()).mean()

    def g_loss(self, *, d_fake) -> torch.Tensor:
        return F.softplus(-d_fake.float()).mean()


def softplus(*, watch_d_collapse: bool = True) -> SoftplusLoss:
    """Non-saturating logistic GAN loss in softplus form (Karras et al., StyleGAN)."""
    return SoftplusLoss(watch_d_collapse=watch_d_collapse)
