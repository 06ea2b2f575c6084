"""DCGAN generator and discriminator (Radford et al. 2016), as used by Mutepfe et al. 2021.

At 64 px with ``ngf = ndf = 64`` the generator maps z through 4 -> 8 -> 16 -> 32 -> 64 with
512-256-128-64 feature maps (transposed convolutions, BatchNorm, ReLU, tanh output); the
discriminator mirrors it with strided convolutions and LeakyReLU 0.2, no pooling and no fully
connected layers. Resolution (any power of two from 16, e.g. 32/64/128) and widths are
parameters.

Class conditioning (``num_classes > 0``): the generator concatenates a learned label embedding
to z; the discriminator is a *projection discriminator* (Miyato & Koyama 2018): its logit is
the unconditional 4x4 convolution output plus the inner product of a learned class embedding
with the spatially averaged last feature map (averaged rather than summed, and the embedding
initialised N(0, 1/C), so the class term starts at the scale of the unconditional logit).
"""

from __future__ import annotations

import math

import torch
from torch import nn

_NORMS = ("batch", "instance", "layer", "none")
_INITS = ("dcgan", "default")


def unsupported_image_size(image_size: int) -> str:
    """``""`` for a side the DCGAN networks are built for, else the rule (a declared
    capability: ``ganlab.contracts.DeclaresImageSizes``)."""
    if image_size >= 16 and 2 ** round(math.log2(image_size)) == image_size:
        return ""
    return "the dcgan architecture takes a power of two >= 16 as image_size (32, 64, 128...)"


def _depth(image_size: int) -> int:
    """Number of stride-2 stages between 4x4 and ``image_size``."""
    if unsupported_image_size(image_size):
        raise ValueError(
            f"image_size must be a power of two >= 16 (e.g. 32, 64, 128), got {image_size}"
        )
    return int(math.log2(image_size)) - 2


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    if kind == "layer":
        return nn.GroupNorm(1, channels)
    return nn.Identity()


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")


def dcgan_init_(module: nn.Module) -> None:
    """DCGAN initialisation: conv weights N(0, 0.02), norm scales N(1, 0.02), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            weight = getattr(m, "weight_orig", m.weight)  # spectral norm keeps the raw weight
            nn.init.normal_(weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d, nn.GroupNorm)) and m.affine:
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class DCGANGenerator(nn.Module):
    """z (B, nz) [+ labels (B,)] -> images (B, C, S, S) in [-1, 1]."""

    def __init__(
        self, *, nz: int, image_size: int, channels: int, num_classes: int, ngf: int,
        norm: str, embed_dim: int,
    ) -> None:
        super().__init__()
        depth = _depth(image_size)
        self.nz, self.num_classes = nz, num_classes
        self.embed = nn.Embedding(num_classes, embed_dim) if num_classes > 0 else None
        in_ch = nz + (embed_dim if num_classes > 0 else 0)
        widths = [ngf * 2 ** k for k in reversed(range(depth))]  # 64 px: 512, 256, 128, 64
        bias = norm == "none"
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(in_ch, widths[0], 4, 1, 0, bias=bias),
            _norm(norm, widths[0]),
            nn.ReLU(inplace=True),
        ]
        for w_in, w_out in zip(widths[:-1], widths[1:], strict=True):
            layers += [
                nn.ConvTranspose2d(w_in, w_out, 4, 2, 1, bias=bias),
                _norm(norm, w_out),
                nn.ReLU(inplace=True),
            ]
        layers += [nn.ConvTranspose2d(widths[-1], channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.embed is not None:
            if labels is None:
                raise ValueError("this generator is class-conditional: pass labels")
            z = torch.cat([z, self.embed(labels).to(z.dtype)], dim=1)
        return self.net(z[:, :, None, None])


class DCGANDiscriminator(nn.Module):
    """images (B, C, S, S) [+ labels (B,)] -> logits (B,)."""

    def __init__(
        self, *, image_size: int, channels: int, num_classes: int, ndf: int, norm: str,
        spectral_norm: bool,
    ) -> None:
        super().__init__()
        depth = _depth(image_size)
        widths = [ndf * 2**k for k in range(depth)]  # 64 px: 64, 128, 256, 512
        sn = nn.utils.spectral_norm if spectral_norm else (lambda m: m)
        bias = norm == "none"
        layers: list[nn.Module] = [
            sn(nn.Conv2d(channels, widths[0], 4, 2, 1, bias=bias)),  # no norm on the input layer
            nn.LeakyReLU(0.2, inplace=True),
        ]
        for w_in, w_out in zip(widths[:-1], widths[1:], strict=True):
            layers += [
                sn(nn.Conv2d(w_in, w_out, 4, 2, 1, bias=bias)),
                _norm(norm, w_out),
                nn.LeakyReLU(0.2, inplace=True),
            ]
        self.features = nn.Sequential(*layers)
        self.out = sn(nn.Conv2d(widths[-1], 1, 4, 1, 0, bias=False))
        self.embed = None
        if num_classes > 0:
            self.embed = nn.Embedding(num_classes, widths[-1])
            nn.init.normal_(self.embed.weight, 0.0, widths[-1] ** -0.5)
            if spectral_norm:
                self.embed = nn.utils.spectral_norm(self.embed)
        self.num_classes = num_classes
        self.feature_dim = widths[-1] * 16  # the flattened trunk (GAN-pretrained classifiers)
        self.feature_width = widths[-1]  # the pooled features (gan.aux_classifier)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.forward_with_features(x, labels)[0]

    def forward_with_features(
        self, x: torch.Tensor, labels: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits (B,) and the mean-pooled trunk features (B, feature_width)."""
        h = self.features(x)
        logits = self.out(h).flatten()
        pooled = h.mean(dim=(2, 3))
        if self.embed is not None:
            if labels is None:
                raise ValueError("this discriminator is class-conditional: pass labels")
            logits = logits + (self.embed(labels).to(h.dtype) * pooled).sum(dim=1)
        return logits, pooled



def dcgan_generator(
    *,
    nz: int,
    image_size: int,
    channels: int,
    num_classes: int,
    ngf: int = 64,
    norm: str = "batch",
    embed_dim: int = 32,
    init: str = "dcgan",
) -> nn.Module:
    """DCGAN generator: transposed convolutions, BatchNorm, ReLU, tanh (the paper's, 64-512).

    Args:
        nz: Latent size (the paper uses 100 or 128).
        image_size: Output side, a power of two >= 16 (the paper: 64).
        channels: Image channels (3).
        num_classes: 0 for unconditional; otherwise a label embedding is concatenated to z.
        ngf: Width of the last hidden layer; the first is ``ngf * S / 8`` (512 at 64 px).
        norm: ``batch`` (paper), ``instance``, ``layer`` or ``none``.
        embed_dim: Size of the label embedding of the conditional variant.
        init: ``dcgan`` for N(0, 0.02) weights, ``default`` for PyTorch's initialisation.
    """
    _check_choice("norm", norm, _NORMS)
    _check_choice("init", init, _INITS)
    if nz < 1 or ngf < 1 or channels < 1 or num_classes < 0 or embed_dim < 1:
        raise ValueError("nz, ngf, channels and embed_dim must be >= 1, num_classes >= 0")
    net = DCGANGenerator(
        nz=nz, image_size=image_size, channels=channels, num_classes=num_classes, ngf=ngf,
        norm=norm, embed_dim=embed_dim,
    )
    if init == "dcgan":
        dcgan_init_(net)
    return net


dcgan_generator.search_space = {
    "ngf": {"type": "categorical", "choices": [32, 64, 96]},
}


def dcgan_discriminator(
    *,
    image_size: int,
    channels: int,
    num_classes: int,
    ndf: int = 64,
    norm: str | None = None,
    spectral_norm: bool = False,
    init: str = "dcgan",
) -> nn.Module:
    """DCGAN discriminator: strided convolutions, LeakyReLU 0.2, no pooling, no FC layers.

    Args:
        image_size: Input side, a power of two >= 16 (the paper: 64).
        channels: Image channels (3).
        num_classes: 0 for unconditional; otherwise a projection discriminator.
        ndf: Width of the first layer (64-128-256-512 at 64 px with the default).
        norm: ``batch`` (paper), ``instance``, ``layer`` or ``none``. Default: ``batch``, or
            ``none`` with spectral norm. Use ``none``/``layer`` with ``wgan_gp``: a gradient
            penalty per sample is wrong under BatchNorm.
        spectral_norm: Spectral normalisation of every convolution (and the class embedding).
        init: ``dcgan`` for N(0, 0.02) weights, ``default`` for PyTorch's initialisation.
    """
    norm = norm if norm is not None else ("none" if spectral_norm else "batch")
    _check_choice("norm", norm, _NORMS)
    _check_choice("init", init, _INITS)
    if ndf < 1 or channels < 1 or num_classes < 0:
        raise ValueError("ndf and channels must be >= 1, num_classes >= 0")
    net = DCGANDiscriminator(
        image_size=image_size, channels=channels, num_classes=num_classes, ndf=ndf, norm=norm,
        spectral_norm=spectral_norm,
    )
    if init == "dcgan":
        dcgan_init_(net)
    return net


dcgan_discriminator.search_space = {
    "ndf": {"type": "categorical", "choices": [32, 64, 96]},
    "spectral_norm": {"type": "categorical", "choices": [False, True]},
}


dcgan_generator.unsupported_image_size = unsupported_image_size  # type: ignore[attr-defined]
dcgan_discriminator.unsupported_image_size = unsupported_image_size  # type: ignore[attr-defined]
