"""Sampling a generator: uint8 images, fixed-noise grids, sample diversity."""

from __future__ import annotations

import io
from pathlib import Path

import torch
from torch import nn

from ganlab.io import atomic_write_bytes


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    """[-1, 1] float images -> uint8 in [0, 255] (the inverse of ``x / 127.5 - 1``)."""
    return ((x.float() + 1.0) * 127.5).round_().clamp_(0, 255).to(torch.uint8)


@torch.no_grad()
def generate(
    generator: nn.Module,
    n: int,
    *,
    nz: int,
    labels: torch.Tensor | None,
    device: str | torch.device,
    seed: int,
    batch_size: int = 256,
) -> torch.Tensor:
    """``n`` images (uint8, (n, C, S, S), CPU) from noise seeded by ``seed``.

    The generator is put in eval mode (BatchNorm uses its running statistics), so the same
    seed gives the same images whatever the batch size.
    """
    device = torch.device(device)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    z_all = torch.randn(n, nz, generator=gen)
    was_training = generator.training
    generator.eval()
    out = []
    try:
        for start in range(0, n, batch_size):
            z = z_all[start : start + batch_size].to(device)
            y = None if labels is None else labels[start : start + batch_size].to(device)
            out.append(to_uint8(generator(z, y)).cpu())
    finally:
        generator.train(was_training)
    if not out:
        return torch.empty(0, dtype=torch.uint8)
    return torch.cat(out)


def fixed_inputs(
    n: int, *, nz: int, num_classes: int, seed: int
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Fixed noise (and labels: first half class 0, second half class 1, ...) for grids."""
    gen = torch.Generator(device="cpu").manual_seed(seed + 7919)
    z = torch.randn(n, nz, generator=gen)
    if num_classes <= 0:
        return z, None
    labels = (torch.arange(n) * num_classes // n).long()
    return z, labels


def save_grid(images: torch.Tensor, path: Path, *, nrow: int = 8) -> Path:
    """Write uint8 images (N, C, S, S) as one PNG grid, atomically (no fsync: resume never
    reads a grid)."""
    from PIL import Image
    from torchvision.utils import make_grid

    grid = make_grid(images, nrow=nrow, padding=2, pad_value=255)
    buf = io.BytesIO()
    Image.fromarray(grid.permute(1, 2, 0).numpy()).save(buf, format="PNG")
    return atomic_write_bytes(path, buf.getvalue(), durable=False)


def save_images(images: torch.Tensor, folder: Path, *, prefix: str = "sample") -> list[Path]:
    """Write uint8 images (N, C, S, S) as numbered PNG files into ``folder``."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, img in enumerate(images):
        path = folder / f"{prefix}_{i:05d}.png"
        Image.fromarray(img.permute(1, 2, 0).numpy()).save(path)
        paths.append(path)
    return paths


def mean_pairwise_distance(images: torch.Tensor) -> float:
    """Mean Euclidean distance between all pairs of images (any dtype; scaled to [0, 1])."""
    x = images.float().flatten(1)
    if images.dtype == torch.uint8:
        x = x / 255.0
    if x.shape[0] < 2:
        return 0.0
    # Exact differences, not the matrix-product shortcut: its cancellation leaves ~1e-3 between
    # identical images on some CPUs, and a collapsed generator must measure 0.
    d = torch.cdist(x, x, compute_mode="donot_use_mm_for_euclid_dist")
    n = x.shape[0]
    return float(d.sum() / (n * (n - 1)))
