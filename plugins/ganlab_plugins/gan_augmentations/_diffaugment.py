"""DiffAugment (Zhao et al. 2020): colour, translation and cutout, differentiable, per sample.

A port of the authors' PyTorch ``DiffAugment_pytorch.py`` (same ops and ranges), with the random
draws taken from an optional ``torch.Generator`` so tests can replay them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

_Op = Callable[[torch.Tensor, "torch.Generator | None"], torch.Tensor]


def _rand(x: torch.Tensor, gen: torch.Generator | None) -> torch.Tensor:
    return torch.rand(x.shape[0], 1, 1, 1, device=x.device, dtype=x.dtype, generator=gen)


def _brightness(x: torch.Tensor, gen: torch.Generator | None) -> torch.Tensor:
    return x + (_rand(x, gen) - 0.5)


def _saturation(x: torch.Tensor, gen: torch.Generator | None) -> torch.Tensor:
    mean = x.mean(dim=1, keepdim=True)
    return (x - mean) * (_rand(x, gen) * 2) + mean


def _contrast(x: torch.Tensor, gen: torch.Generator | None) -> torch.Tensor:
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (_rand(x, gen) + 0.5) + mean


def _randint(low: int, high: int, n: int, x: torch.Tensor, gen: torch.Generator | None):
    return torch.randint(low, high, (n, 1, 1), device=x.device, generator=gen)


def _translation(x: torch.Tensor, gen: torch.Generator | None, ratio: float = 0.125):
    """Shift each image by up to ``ratio`` of its size; uncovered pixels become 0."""
    b, _, h, w = x.shape
    sx, sy = int(h * ratio + 0.5), int(w * ratio + 0.5)
    tx, ty = _randint(-sx, sx + 1, b, x, gen), _randint(-sy, sy + 1, b, x, gen)
    gb, gx, gy = torch.meshgrid(
        torch.arange(b, device=x.device), torch.arange(h, device=x.device),
        torch.arange(w, device=x.device), indexing="ij",
    )
    gx = torch.clamp(gx + tx + 1, 0, h + 1)
    gy = torch.clamp(gy + ty + 1, 0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1])
    return padded.permute(0, 2, 3, 1)[gb, gx, gy].permute(0, 3, 1, 2)


def _cutout(x: torch.Tensor, gen: torch.Generator | None, ratio: float = 0.5):
    """Zero one square of ``ratio`` times the image side per image, at a random place."""
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    ox = _randint(0, h + (1 - ch % 2), b, x, gen)
    oy = _randint(0, w + (1 - cw % 2), b, x, gen)
    gb, gx, gy = torch.meshgrid(
        torch.arange(b, device=x.device), torch.arange(ch, device=x.device),
        torch.arange(cw, device=x.device), indexing="ij",
    )
    gx = torch.clamp(gx + ox - ch // 2, min=0, max=h - 1)
    gy = torch.clamp(gy + oy - cw // 2, min=0, max=w - 1)
    mask = torch.ones(b, h, w, dtype=x.dtype, device=x.device)
    mask[gb, gx, gy] = torch.zeros((), dtype=x.dtype, device=x.device)  # no host scalar
    return x * mask.unsqueeze(1)


POLICIES: dict[str, tuple[_Op, ...]] = {
    "color": (_brightness, _saturation, _contrast),
    "translation": (_translation,),
    "cutout": (_cutout,),
}


@dataclass(frozen=True)
class DiffAugment:
    """The same random transform family on real and fake batches; gradients pass through."""

    policy: tuple[str, ...] = ("color", "translation", "cutout")

    def __call__(
        self, batch: torch.Tensor, *, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        fmt = (
            torch.channels_last
            if batch.dim() == 4 and batch.is_contiguous(memory_format=torch.channels_last)
            and not batch.is_contiguous()
            else torch.contiguous_format
        )
        x = batch
        for name in self.policy:
            for op in POLICIES[name]:
                x = op(x, generator)
        return x.contiguous(memory_format=fmt)


def diffaugment(*, policy: str = "color,translation,cutout") -> DiffAugment:
    """DiffAugment (Zhao et al. 2020) on real and fake images before the discriminator.

    Args:
        policy: Comma-separated ops from ``color`` (brightness, saturation, contrast),
            ``translation`` (up to 1/8 of the side) and ``cutout`` (a half-side square).
    """
    names = tuple(p.strip() for p in policy.split(",") if p.strip())
    bad = [n for n in names if n not in POLICIES]
    if bad or not names:
        raise ValueError(
            f"policy must be a comma-separated list of {', '.join(POLICIES)}, got {policy!r}"
        )
    return DiffAugment(policy=names)


diffaugment.search_space = {
    "policy": {
        "type": "categorical",
        "choices": ["color,translation,cutout", "translation,cutout", "color,translation"],
    },
}
