"""The SNGAN ResNet pair: conditional-BatchNorm generator, projection discriminator.

Miyato & Koyama 2018 ("cGANs with projection discriminator"), the standard conditional baseline
of StudioGAN and torch-mimicry, at 32, 64 and 128 px. With the default widths
(``ngf = ndf = 64``) the channel layouts are the references':

==========  ===================================  =========================================
size        generator (4x4 first, then per block) discriminator (per block)
==========  ===================================  =========================================
32          256, 256, 256, 256                   128, 128, 128, 128 (SNGAN CIFAR-10)
64          1024, 512, 256, 128, 64              64, 128, 256, 512, 1024 (mimicry SNGAN-64)
128         1024, 1024, 512, 256, 128, 64        64, 128, 256, 512, 1024, 1024 (cGAN 128)
==========  ===================================  =========================================

``ngf`` / ``ndf`` scale every width linearly, so ``ngf = ndf = 16`` fits a 2-core CPU budget at
64 px. The generator maps z through a linear layer to a 4x4 map, residual up-blocks with
class-conditional BatchNorm, BatchNorm, ReLU, a 3x3 convolution and tanh. The discriminator
runs residual down-blocks with spectral norm, ReLU and a global *sum* pool; its logit is a
linear output plus the inner product of a class embedding with the pooled features
(projection).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ganlab_plugins.gans._resnet_blocks import (
    DBlock,
    GBlock,
    OptimizedDBlock,
    conv,
    xavier_,
)

# Channel widths in units of ngf: the 4x4 map, then the output of each up-block.
G_UNITS: dict[int, tuple[int, ...]] = {
    32: (4, 4, 4, 4),
    64: (16, 8, 4, 2, 1),
    128: (16, 16, 8, 4, 2, 1),
}
# (width in units of ndf, halves the side) of each down-block; the first is the optimized block.
D_LAYOUT: dict[int, tuple[tuple[int, bool], ...]] = {
    32: ((2, True), (2, True), (2, False), (2, False)),
    64: ((1, True), (2, True), (4, True), (8, True), (16, True)),
    128: ((1, True), (2, True), (4, True), (8, True), (16, True), (16, False)),
}


def unsupported_image_size(image_size: int) -> str:
    """``""`` for a side the resnet networks are built for, else the rule (a declared
    capability: ``ganlab.contracts.DeclaresImageSizes``)."""
    if image_size in G_UNITS:
        return ""
    return (f"the resnet architecture takes image_size {', '.join(map(str, G_UNITS))} "
            "(dcgan takes any power of two >= 16)")


def _check_size(image_size: int) -> None:
    problem = unsupported_image_size(image_size)
    if problem:
        raise ValueError(f"image_size must fit: {problem}; got {image_size}")


def _identity(module: nn.Module) -> nn.Module:
    return module


class ResNetGenerator(nn.Module):
    """z (B, nz) [+ labels (B,)] -> images (B, C, S, S) in [-1, 1]."""

    def __init__(self, *, nz: int, image_size: int, channels: int, num_classes: int,
                 ngf: int) -> None:
        super().__init__()
        widths = [ngf * u for u in G_UNITS[image_size]]
        self.nz, self.num_classes, self.bottom = nz, num_classes, widths[0]
        self.l1 = xavier_(nn.Linear(nz, 16 * widths[0]), 1.0)
        self.blocks = nn.ModuleList(
            GBlock(a, b, num_classes) for a, b in zip(widths[:-1], widths[1:], strict=True)
        )
        self.bn = nn.BatchNorm2d(widths[-1])
        self.out = conv(widths[-1], channels, 3, _identity, gain=1.0)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.num_classes > 0 and labels is None:
            raise ValueError("this generator is class-conditional: pass labels")
        h = self.l1(z).view(z.shape[0], self.bottom, 4, 4)
        for block in self.blocks:
            h = block(h, labels if self.num_classes > 0 else None)
        return torch.tanh(self.out(F.relu(self.bn(h))))


class ResNetDiscriminator(nn.Module):
    """images (B, C, S, S) [+ labels (B,)] -> logits (B,)."""

    def __init__(self, *, image_size: int, channels: int, num_classes: int, ndf: int,
                 spectral_norm: bool) -> None:
        super().__init__()
        sn = nn.utils.spectral_norm if spectral_norm else _identity
        layout = D_LAYOUT[image_size]
        width = ndf * layout[0][0]
        blocks: list[nn.Module] = [OptimizedDBlock(channels, width, sn=sn)]
        for units, down in layout[1:]:
            blocks.append(DBlock(width, ndf * units, downsample=down, sn=sn))
            width = ndf * units
        blocks.append(nn.ReLU())
        self.features = nn.Sequential(*blocks)  # the trunk (used by GAN-pretrained classifiers)
        self.out = sn(xavier_(nn.Linear(width, 1), 1.0))
        self.embed = None
        if num_classes > 0:
            embed = nn.Embedding(num_classes, width)
            nn.init.xavier_uniform_(embed.weight)
            self.embed = sn(embed)
        self.num_classes = num_classes
        self.feature_dim = width
        self.feature_width = width  # the pooled features (gan.aux_classifier)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.forward_with_features(x, labels)[0]

    def forward_with_features(
        self, x: torch.Tensor, labels: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits (B,) and the sum-pooled trunk features (B, feature_width)."""
        h = self.features(x).sum(dim=(2, 3))  # global sum pool
        logits = self.out(h).flatten()
        if self.embed is not None:
            if labels is None:
                raise ValueError("this discriminator is class-conditional: pass labels")
            logits = logits + (self.embed(labels).to(h.dtype) * h).sum(dim=1)
        return logits, h


def resnet_generator(
    *, nz: int, image_size: int, channels: int, num_classes: int, ngf: int = 64
) -> nn.Module:
    """SNGAN ResNet generator with class-conditional BatchNorm (Miyato & Koyama 2018).

    Args:
        nz: Latent size (the references use 128).
        image_size: Output side: 32, 64 or 128.
        channels: Image channels (3).
        num_classes: 0 for unconditional (plain BatchNorm); otherwise conditional BatchNorm.
        ngf: Width unit; 64 gives the references' layouts, 16 fits a CPU at 64 px.
    """
    _check_size(image_size)
    if nz < 1 or ngf < 1 or channels < 1 or num_classes < 0:
        raise ValueError("nz, ngf and channels must be >= 1, num_classes >= 0")
    return ResNetGenerator(nz=nz, image_size=image_size, channels=channels,
                           num_classes=num_classes, ngf=ngf)


resnet_generator.search_space = {
    "ngf": {"type": "categorical", "choices": [16, 32, 64]},
}


def resnet_discriminator(
    *, image_size: int, channels: int, num_classes: int, ndf: int = 64,
    spectral_norm: bool = True,
) -> nn.Module:
    """ResNet projection discriminator with spectral norm (Miyato & Koyama 2018).

    Args:
        image_size: Input side: 32, 64 or 128.
        channels: Image channels (3).
        num_classes: 0 for unconditional; otherwise a projection discriminator.
        ndf: Width unit; 64 gives the references' layouts, 16 fits a CPU at 64 px.
        spectral_norm: Spectral normalisation of every layer (the reference; off only for
            ablations).
    """
    _check_size(image_size)
    if ndf < 1 or channels < 1 or num_classes < 0:
        raise ValueError("ndf and channels must be >= 1, num_classes >= 0")
    return ResNetDiscriminator(image_size=image_size, channels=channels,
                               num_classes=num_classes, ndf=ndf, spectral_norm=spectral_norm)


resnet_discriminator.search_space = {
    "ndf": {"type": "categorical", "choices": [16, 32, 64]},
}


resnet_generator.unsupported_image_size = unsupported_image_size  # type: ignore[attr-defined]
resnet_discriminator.unsupported_image_size = unsupported_image_size  # type: ignore[attr-defined]
