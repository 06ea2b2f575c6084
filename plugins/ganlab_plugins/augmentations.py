"""Built-in batch augmentations on float (B, C, H, W) tensors in [-1, 1], on the batch's device.

Each factory returns ``augment(batch, *, generator=None)``; the random draws come from
``generator`` (a ``torch.Generator`` on any device) or the global torch RNG, one draw per sample,
and the work is vectorised over the batch (``affine_grid`` / ``grid_sample`` for geometry).
Rotation, shear and flips are the paper's augmentations.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

Augment = Callable[..., torch.Tensor]
_PADDING = ("reflection", "border", "zeros")


def _uniform(n: int, low: float, high: float, generator: torch.Generator | None,
             device: torch.device) -> torch.Tensor:
    """``n`` uniform draws, from ``generator``'s device, moved to ``device``."""
    where = generator.device if generator is not None else device
    draw = torch.rand(n, generator=generator, device=where)
    return (low + (high - low) * draw).to(device)


def _applied(n: int, p: float, generator: torch.Generator | None,
             device: torch.device) -> torch.Tensor:
    return _uniform(n, 0.0, 1.0, generator, device) < p


def _check_p(p: float) -> float:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p!r}")
    return float(p)


def _check_padding(padding_mode: str) -> str:
    if padding_mode not in _PADDING:
        choices = ", ".join(_PADDING)
        raise ValueError(f"padding_mode must be one of {choices}, got {padding_mode!r}")
    return padding_mode


def _warp(batch: torch.Tensor, theta: torch.Tensor, padding_mode: str) -> torch.Tensor:
    """Resample every image with its own 2x3 affine matrix (normalised coordinates)."""
    grid = F.affine_grid(theta.to(batch.dtype), list(batch.shape), align_corners=False)
    out = F.grid_sample(batch, grid, mode="bilinear", padding_mode=padding_mode,
                        align_corners=False)
    return out.clamp_(-1.0, 1.0)


def rotation(
    *, degrees: float = 20.0, p: float = 1.0, padding_mode: str = "reflection"
) -> Augment:
    """Random rotation by an angle in [-degrees, degrees] per image."""
    if degrees < 0:
        raise ValueError(f"degrees must be >= 0, got {degrees!r}")
    p, padding_mode = _check_p(p), _check_padding(padding_mode)

    def augment(batch: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        b, dev = batch.shape[0], batch.device
        angle = _uniform(b, -degrees, degrees, generator, dev) * (math.pi / 180.0)
        angle = torch.where(_applied(b, p, generator, dev), angle, torch.zeros_like(angle))
        cos, sin, zero = angle.cos(), angle.sin(), torch.zeros_like(angle)
        rows = [torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)]
        theta = torch.stack(rows, 1)
        return _warp(batch, theta, padding_mode)

    return augment


rotation.search_space = {"degrees": {"type": "float", "low": 0.0, "high": 45.0}}


def shear(*, degrees: float = 10.0, p: float = 1.0, padding_mode: str = "reflection") -> Augment:
    """Random horizontal and vertical shear, each angle in [-degrees, degrees] per image."""
    if not 0 <= degrees < 90:
        raise ValueError(f"degrees must be in [0, 90), got {degrees!r}")
    p, padding_mode = _check_p(p), _check_padding(padding_mode)

    def augment(batch: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        b, dev = batch.shape[0], batch.device
        rad = degrees * math.pi / 180.0
        sx = _uniform(b, -rad, rad, generator, dev).tan()
        sy = _uniform(b, -rad, rad, generator, dev).tan()
        keep = _applied(b, p, generator, dev)
        one, zero = torch.ones_like(sx), torch.zeros_like(sx)
        sx, sy = torch.where(keep, sx, zero), torch.where(keep, sy, zero)
        theta = torch.stack([torch.stack([one, sx, zero], 1), torch.stack([sy, one, zero], 1)], 1)
        return _warp(batch, theta, padding_mode)

    return augment


shear.search_space = {"degrees": {"type": "float", "low": 0.0, "high": 30.0}}


def _flip(dim: int, p: float) -> Augment:
    def augment(batch: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        mask = _applied(batch.shape[0], p, generator, batch.device).view(-1, 1, 1, 1)
        return torch.where(mask, batch.flip(dim), batch)

    return augment


def hflip(*, p: float = 0.5) -> Augment:
    """Horizontal flip of each image with probability ``p``."""
    return _flip(-1, _check_p(p))


def vflip(*, p: float = 0.5) -> Augment:
    """Vertical flip of each image with probability ``p``."""
    return _flip(-2, _check_p(p))


hflip.search_space = {"p": {"type": "float", "low": 0.0, "high": 1.0}}
vflip.search_space = {"p": {"type": "float", "low": 0.0, "high": 1.0}}

def rot90(*, p: float = 1.0) -> Augment:
    """Rotate each image by a random multiple of 90 degrees (0, 90, 180 or 270, equally
    likely) with probability ``p``: exact, no interpolation or padding (square images)."""
    p = _check_p(p)

    def augment(batch: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        if batch.shape[-1] != batch.shape[-2]:
            raise ValueError(f"rot90 needs square images, got {tuple(batch.shape[-2:])}")
        b, dev = batch.shape[0], batch.device
        k = _uniform(b, 0.0, 4.0, generator, dev).floor_().clamp_(max=3).long()
        k = torch.where(_applied(b, p, generator, dev), k, torch.zeros_like(k)).view(-1, 1, 1, 1)
        out = torch.where(k == 1, batch.rot90(1, (-2, -1)), batch)
        out = torch.where(k == 2, batch.flip((-2, -1)), out)
        return torch.where(k == 3, batch.rot90(3, (-2, -1)), out)

    return augment


rot90.search_space = {"p": {"type": "float", "low": 0.0, "high": 1.0}}

_GRAY = (0.299, 0.587, 0.114)
_RGB2YIQ = ((0.299, 0.587, 0.114), (0.596, -0.274, -0.322), (0.211, -0.523, 0.312))


def color_jitter(
    *,
    brightness: float = 0.2,
    contrast: float = 0.2,
    saturation: float = 0.2,
    hue: float = 0.02,
    p: float = 1.0,
) -> Augment:
    """Per-image random brightness, contrast, saturation (factors in [1-x, 1+x]) and hue
    (a rotation by up to ``hue`` turns in YIQ space) on RGB batches."""
    for name, value in (("brightness", brightness), ("contrast", contrast),
                        ("saturation", saturation)):
        if not 0 <= value < 1:
            raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    if not 0 <= hue <= 0.5:
        raise ValueError(f"hue must be in [0, 0.5], got {hue!r}")
    p = _check_p(p)
    yiq = torch.tensor(_RGB2YIQ, dtype=torch.float64)
    host = (torch.tensor(_GRAY).view(1, 3, 1, 1), yiq.float(), torch.linalg.inv(yiq).float())
    placed: dict[tuple[torch.device, torch.dtype], tuple[torch.Tensor, ...]] = {}

    def constants(dev: torch.device, dtype: torch.dtype) -> tuple[torch.Tensor, ...]:
        """Grey weights and the YIQ pair on ``dev``: copied there once, not per batch."""
        if (dev, dtype) not in placed:
            placed[(dev, dtype)] = tuple(m.to(dev, dtype) for m in host)
        return placed[(dev, dtype)]

    def augment(batch: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        if batch.shape[1] != 3:
            raise ValueError(f"color_jitter needs RGB batches (C = 3), got C = {batch.shape[1]}")
        b, dev = batch.shape[0], batch.device
        keep = _applied(b, p, generator, dev).view(-1, 1, 1, 1)

        def factor(x: float) -> torch.Tensor:
            return _uniform(b, 1 - x, 1 + x, generator, dev).view(-1, 1, 1, 1).to(batch.dtype)

        x = (batch + 1) / 2
        gray_w, to_yiq, from_yiq = constants(dev, batch.dtype)
        x = (x * factor(brightness)).clamp(0, 1)
        mean = (x * gray_w).sum(1, keepdim=True).mean((2, 3), keepdim=True)
        x = ((x - mean) * factor(contrast) + mean).clamp(0, 1)
        gray = (x * gray_w).sum(1, keepdim=True)
        x = ((x - gray) * factor(saturation) + gray).clamp(0, 1)
        angle = _uniform(b, -hue, hue, generator, dev) * 2 * math.pi
        cos, sin = angle.cos().to(batch.dtype), angle.sin().to(batch.dtype)
        rot = torch.zeros(b, 3, 3, device=dev, dtype=batch.dtype)
        rot[:, 0, 0].fill_(1)  # fill_, not `= 1`: no tensor made from a Python number
        rot[:, 1, 1], rot[:, 1, 2] = cos, -sin
        rot[:, 2, 1], rot[:, 2, 2] = sin, cos
        mat = from_yiq @ rot @ to_yiq  # (B, 3, 3)
        x = torch.einsum("bij,bjhw->bihw", mat, x).clamp(0, 1)
        return torch.where(keep, x * 2 - 1, batch)

    return augment


color_jitter.search_space = {
    "brightness": {"type": "float", "low": 0.0, "high": 0.4},
    "contrast": {"type": "float", "low": 0.0, "high": 0.4},
    "saturation": {"type": "float", "low": 0.0, "high": 0.4},
    "hue": {"type": "float", "low": 0.0, "high": 0.1},
}


def random_resized_crop(
    *, scale_min: float = 0.7, ratio_max: float = 4 / 3, p: float = 1.0
) -> Augment:
    """Crop a random area fraction in [scale_min, 1] with aspect ratio in [1/ratio_max,
    ratio_max] from each image and resize it back to the input size (bilinear)."""
    if not 0 < scale_min <= 1:
        raise ValueError(f"scale_min must be in (0, 1], got {scale_min!r}")
    if ratio_max < 1:
        raise ValueError(f"ratio_max must be >= 1, got {ratio_max!r}")
    p = _check_p(p)

    def augment(batch: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        b, dev = batch.shape[0], batch.device
        area = _uniform(b, scale_min, 1.0, generator, dev)
        log_r = _uniform(b, -math.log(ratio_max), math.log(ratio_max), generator, dev)
        ratio = log_r.exp()
        w = (area * ratio).sqrt().clamp(max=1.0)
        h = (area / ratio).sqrt().clamp(max=1.0)
        cx = _uniform(b, -1.0, 1.0, generator, dev) * (1 - w)
        cy = _uniform(b, -1.0, 1.0, generator, dev) * (1 - h)
        keep = _applied(b, p, generator, dev)
        one, zero = torch.ones_like(w), torch.zeros_like(w)
        w, h = torch.where(keep, w, one), torch.where(keep, h, one)
        cx, cy = torch.where(keep, cx, zero), torch.where(keep, cy, zero)
        theta = torch.stack([torch.stack([w, zero, cx], 1), torch.stack([zero, h, cy], 1)], 1)
        return _warp(batch, theta, "border")

    return augment


random_resized_crop.search_space = {"scale_min": {"type": "float", "low": 0.4, "high": 1.0}}
