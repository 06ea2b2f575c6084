"""GAN losses: the paper's non-saturating BCE, hinge, least squares and WGAN-GP.

Each factory returns an object with ``d_loss(*, d_real, d_fake, real, fake, discriminator,
labels)`` and ``g_loss(*, d_fake)`` (the ``GanLoss`` protocol of ``ganlab.contracts``). Logits
go in; the losses are computed in float32 even under autocast.

``watch_d_collapse`` tells the trainer whether "discriminator loss near 0 while the generator
loss explodes" is a meaningful failure signal for this loss (not for WGAN-GP, whose critic loss
has no floor).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class BCELoss:
    """Non-saturating BCE with logits (Goodfellow et al. 2014; DCGAN; the paper)."""

    real_label: float = 1.0
    watch_d_collapse: bool = True

    def d_loss(self, *, d_real, d_fake, real, fake, discriminator, labels) -> torch.Tensor:
        d_real, d_fake = d_real.float(), d_fake.float()
        return F.binary_cross_entropy_with_logits(
            d_real, torch.full_like(d_real, self.real_label)
        ) + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))

    def g_loss(self, *, d_fake) -> torch.Tensor:
        d_fake = d_fake.float()
        return F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake))


@dataclass(frozen=True)
class HingeLoss:
    """Hinge loss (Lim & Ye 2017; SN-GAN): D on margins of 1, G maximises the D logit."""

    watch_d_collapse: bool = True

    def d_loss(self, *, d_real, d_fake, real, fake, discriminator, labels) -> torch.Tensor:
        return F.relu(1.0 - d_real.float()).mean() + F.relu(1.0 + d_fake.float()).mean()

    def g_loss(self, *, d_fake) -> torch.Tensor:
        return -d_fake.float().mean()


@dataclass(frozen=True)
class LSGANLoss:
    """Least-squares GAN (Mao et al. 2017) with targets 1 (real) and 0 (fake)."""

    watch_d_collapse: bool = True

    def d_loss(self, *, d_real, d_fake, real, fake, discriminator, labels) -> torch.Tensor:
        return 0.5 * ((d_real.float() - 1.0) ** 2).mean() + 0.5 * (d_fake.float() ** 2).mean()

    def g_loss(self, *, d_fake) -> torch.Tensor:
        return 0.5 * ((d_fake.float() - 1.0) ** 2).mean()


@dataclass(frozen=True)
class WGANGPLoss:
    """Wasserstein loss with a gradient penalty on real/fake interpolates (Gulrajani 2017)."""

    gp_weight: float = 10.0
    watch_d_collapse: bool = False
    recommended_n_critic: int = 5

    def d_loss(self, *, d_real, d_fake, real, fake, discriminator, labels) -> torch.Tensor:
        wasserstein = d_fake.float().mean() - d_real.float().mean()
        return wasserstein + self.gp_weight * gradient_penalty(
            discriminator, real.detach(), fake.detach(), labels
        )

    def g_loss(self, *, d_fake) -> torch.Tensor:
        return -d_fake.float().mean()


def gradient_penalty(
    discriminator: torch.nn.Module,
    real: torch.Tensor,
    fake: torch.Tensor,
    labels: torch.Tensor | None,
) -> torch.Tensor:
    """Mean of (||grad_x D(x_hat)||_2 - 1)^2 over random interpolates x_hat of real and fake."""
    eps = torch.rand(real.shape[0], 1, 1, 1, device=real.device, dtype=real.dtype)
    x_hat = (eps * real + (1.0 - eps) * fake).requires_grad_(True)
    out = discriminator(x_hat, labels)
    (grad,) = torch.autograd.grad(out.float().sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).float().norm(2, dim=1) - 1.0) ** 2).mean()


def bce(*, real_label: float = 1.0) -> BCELoss:
    """Non-saturating BCE with logits, the paper's loss.

    Args:
        real_label: Target for real images; 0.9 gives one-sided label smoothing.
    """
    if not 0.0 < real_label <= 1.0:
        raise ValueError(f"real_label must be in (0, 1], got {real_label}")
    return BCELoss(real_label=real_label)


bce.search_space = {"real_label": {"type": "categorical", "choices": [1.0, 0.9]}}


def hinge() -> HingeLoss:
    """Hinge loss (SN-GAN, BigGAN); pairs well with a spectral-norm discriminator."""
    return HingeLoss()


def lsgan() -> LSGANLoss:
    """Least-squares GAN loss with targets 1 and 0."""
    return LSGANLoss()


def wgan_gp(*, gp_weight: float = 10.0) -> WGANGPLoss:
    """WGAN-GP: Wasserstein critic loss plus a gradient penalty.

    Advice: set ``gan.n_critic = 5`` (5 critic steps per generator step), use a discriminator
    without BatchNorm (``norm = "none"`` or ``"layer"``) and Adam with lr 1e-4, betas (0, 0.9),
    as in Gulrajani et al. 2017. ``recommended_n_critic`` on the returned object says 5.

    Args:
        gp_weight: Weight of the gradient penalty (lambda, 10 in the paper).
    """
    if gp_weight < 0:
        raise ValueError(f"gp_weight must be >= 0, got {gp_weight}")
    return WGANGPLoss(gp_weight=gp_weight)


wgan_gp.search_space = {"gp_weight": {"type": "float", "low": 1.0, "high": 20.0, "log": True}}
