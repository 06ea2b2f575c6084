"""Residual blocks of the SNGAN / projection-discriminator ResNets (Miyato & Koyama 2018).

The layout follows the reference code (pfnet-research/sngan_projection) and torch-mimicry:

* generator block: CBN -> ReLU -> upsample x2 -> conv3x3 -> CBN -> ReLU -> conv3x3, plus an
  upsampled 1x1 convolution as shortcut; conditional BatchNorm takes its per-class scale and
  shift from an embedding of the label (scale initialised to 1, shift to 0);
* discriminator block: ReLU -> conv3x3 -> ReLU -> conv3x3 [-> avg-pool], plus a 1x1 shortcut
  when the width or size changes; the first ("optimized") block has no leading ReLU and pools
  its shortcut before the convolution. Every convolution is spectrally normalised.

Upsampling is nearest-neighbour (as in the reference's unpooling), which avoids the
checkerboard artefacts of strided transposed convolutions.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

SN = Callable[[nn.Module], nn.Module]


def xavier_(module: nn.Module, gain: float) -> nn.Module:
    """Xavier-uniform weights with ``gain`` and zero bias (the references' initialisation)."""
    weight = getattr(module, "weight_orig", module.weight)
    nn.init.xavier_uniform_(weight, gain)
    if getattr(module, "bias", None) is not None:
        nn.init.zeros_(module.bias)
    return module


def conv(c_in: int, c_out: int, k: int, sn: SN, *, gain: float = math.sqrt(2)) -> nn.Module:
    """A ``k x k`` same-padding convolution, initialised, wrapped by ``sn``."""
    return sn(xavier_(nn.Conv2d(c_in, c_out, k, 1, k // 2), gain))


class ConditionalBatchNorm2d(nn.Module):
    """BatchNorm whose scale and shift come from the class label (plain BatchNorm without)."""

    def __init__(self, channels: int, num_classes: int) -> None:
        super().__init__()
        self.conditional = num_classes > 0
        self.bn = nn.BatchNorm2d(channels, affine=not self.conditional)
        if self.conditional:
            self.scale = nn.Embedding(num_classes, channels)
            self.shift = nn.Embedding(num_classes, channels)
            nn.init.ones_(self.scale.weight)
            nn.init.zeros_(self.shift.weight)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        h = self.bn(x)
        if not self.conditional:
            return h
        if labels is None:
            raise ValueError("this generator is class-conditional: pass labels")
        scale = self.scale(labels).to(h.dtype)[:, :, None, None]
        shift = self.shift(labels).to(h.dtype)[:, :, None, None]
        return h * scale + shift


class GBlock(nn.Module):
    """Generator residual block: doubles the side, ``c_in`` -> ``c_out`` channels."""

    def __init__(self, c_in: int, c_out: int, num_classes: int) -> None:
        super().__init__()
        same = lambda m: m  # noqa: E731 - no spectral norm in the generator
        self.bn1 = ConditionalBatchNorm2d(c_in, num_classes)
        self.c1 = conv(c_in, c_out, 3, same)
        self.bn2 = ConditionalBatchNorm2d(c_out, num_classes)
        self.c2 = conv(c_out, c_out, 3, same)
        self.sc = conv(c_in, c_out, 1, same, gain=1.0)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        h = F.relu(self.bn1(x, labels))
        h = self.c1(F.interpolate(h, scale_factor=2, mode="nearest"))
        h = self.c2(F.relu(self.bn2(h, labels)))
        return h + self.sc(F.interpolate(x, scale_factor=2, mode="nearest"))


class DBlock(nn.Module):
    """Discriminator residual block: ``c_in`` -> ``c_out`` channels, optionally halving."""

    def __init__(self, c_in: int, c_out: int, *, downsample: bool, sn: SN) -> None:
        super().__init__()
        self.c1 = conv(c_in, c_out, 3, sn)
        self.c2 = conv(c_out, c_out, 3, sn)
        self.downsample = downsample
        self.sc = conv(c_in, c_out, 1, sn, gain=1.0) if c_in != c_out or downsample else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.c2(F.relu(self.c1(F.relu(x))))
        sc = x if self.sc is None else self.sc(x)
        if self.downsample:
            h, sc = F.avg_pool2d(h, 2), F.avg_pool2d(sc, 2)
        return h + sc


class OptimizedDBlock(nn.Module):
    """The first discriminator block: no ReLU on the image, pooled shortcut, halves the side."""

    def __init__(self, c_in: int, c_out: int, *, sn: SN) -> None:
        super().__init__()
        self.c1 = conv(c_in, c_out, 3, sn)
        self.c2 = conv(c_out, c_out, 3, sn)
        self.sc = conv(c_in, c_out, 1, sn, gain=1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.avg_pool2d(self.c2(F.relu(self.c1(x))), 2)
        return h + self.sc(F.avg_pool2d(x, 2))
