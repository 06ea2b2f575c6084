"""Adaptive discriminator augmentation (ADA, Karras et al. 2020), differentiable, per sample.

The ``bgc`` pipeline of StyleGAN2-ADA (x-flip, 90-degree rotations, integer translation,
isotropic and anisotropic scaling, arbitrary rotation, fractional translation; brightness,
contrast, luma flip, hue rotation, saturation), each transform applied to each image with one
shared probability ``p``. The geometric transforms are composed into one affine matrix per
image and applied with a single bilinear ``grid_sample`` (reflection padding); the colour
transforms into one 4x4 colour matrix per image. Unlike the original there is no wavelet
upsampling around the warp (a simplification: slightly more aliasing, much cheaper on a CPU).

``p`` is tuned from the overfitting heuristic r_t = E[sign(D(real))]: every ``interval``
discriminator steps it moves by ``sign(r_t - target) * images / (kimg * 1000)``. ``p``, r_t and
the sign sum are tensors on the batch's device and the update is computed there, so a training
step never waits for the device (as in StyleGAN2-ADA, the pipeline always runs; at p = 0 every
transform is the identity). They are read back only for the epoch's history and checkpoints.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def _eye(n: int, b: int, x: torch.Tensor) -> torch.Tensor:
    return torch.eye(n, device=x.device, dtype=x.dtype).repeat(b, 1, 1)


def _gate(values: torch.Tensor, p: torch.Tensor, gen: torch.Generator | None, off: float = 0.0):
    """``values`` where a per-sample coin with probability ``p`` lands, ``off`` elsewhere."""
    keep = torch.rand(values.shape[0], device=values.device, generator=gen) < p
    return torch.where(keep, values, torch.full_like(values, off))


def _scale2d(sx: torch.Tensor, sy: torch.Tensor) -> torch.Tensor:
    m = _eye(3, sx.shape[0], sx)
    m[:, 0, 0], m[:, 1, 1] = sx, sy
    return m


def _rotate2d(theta: torch.Tensor) -> torch.Tensor:
    m = _eye(3, theta.shape[0], theta)
    c, s = torch.cos(theta), torch.sin(theta)
    m[:, 0, 0], m[:, 0, 1], m[:, 1, 0], m[:, 1, 1] = c, -s, s, c
    return m


def _translate2d(tx: torch.Tensor, ty: torch.Tensor) -> torch.Tensor:
    m = _eye(3, tx.shape[0], tx)
    m[:, 0, 2], m[:, 1, 2] = tx, ty
    return m


def geometric_matrices(
    x: torch.Tensor, p: torch.Tensor, gen: torch.Generator | None
) -> torch.Tensor:
    """(B, 3, 3) affine maps in ``affine_grid``'s normalised coordinates."""
    b, size, dev = x.shape[0], x.shape[-1], x.device

    def rand(*shape: int) -> torch.Tensor:
        return torch.rand(b, *shape, device=dev, dtype=x.dtype, generator=gen)

    def randn() -> torch.Tensor:
        return torch.randn(b, device=dev, dtype=x.dtype, generator=gen)

    one = torch.ones(b, device=dev, dtype=x.dtype)
    p_rot = 1 - torch.sqrt((1 - p).clamp(min=0.0))  # two rotations: about p in total
    flip = _gate(torch.floor(rand() * 2), p, gen)
    g = _scale2d(1 - 2 * flip, one)
    g = g @ _rotate2d(_gate(torch.floor(rand() * 4), p, gen) * (math.pi / 2))
    t = torch.round((rand(2) * 2 - 1) * 0.125 * size) / size * 2
    keep = (torch.rand(b, device=dev, generator=gen) < p)[:, None]
    t = torch.where(keep, t, torch.zeros_like(t))
    g = g @ _translate2d(t[:, 0], t[:, 1])
    s = _gate(torch.exp2(randn() * 0.2), p, gen, off=1.0)
    g = g @ _scale2d(s, s)
    g = g @ _rotate2d(_gate((rand() * 2 - 1) * math.pi, p_rot, gen))
    s = _gate(torch.exp2(randn() * 0.2), p, gen, off=1.0)
    g = g @ _scale2d(s, 1 / s)
    g = g @ _rotate2d(_gate((rand() * 2 - 1) * math.pi, p_rot, gen))
    t = torch.randn(b, 2, device=dev, dtype=x.dtype, generator=gen) * 0.125 * 2
    keep = (torch.rand(b, device=dev, generator=gen) < p)[:, None]
    t = torch.where(keep, t, torch.zeros_like(t))
    return g @ _translate2d(t[:, 0], t[:, 1])


def color_matrices(
    x: torch.Tensor, p: torch.Tensor, gen: torch.Generator | None
) -> torch.Tensor:
    """(B, 4, 4) colour maps on homogeneous RGB (brightness, contrast, luma flip, hue, sat)."""
    b, dev = x.shape[0], x.device

    def rand() -> torch.Tensor:
        return torch.rand(b, device=dev, dtype=x.dtype, generator=gen)

    def randn() -> torch.Tensor:
        return torch.randn(b, device=dev, dtype=x.dtype, generator=gen)

    eye = _eye(4, b, x)
    v = F.pad(torch.full((3,), 3 ** -0.5, device=dev, dtype=x.dtype), (0, 1))  # (1,1,1,0)/√3
    vv = torch.outer(v, v)
    c = eye.clone()
    bright = _gate(randn() * 0.2, p, gen)
    shift = eye.clone()
    shift[:, :3, 3] = bright[:, None]
    c = shift @ c
    contrast = _gate(torch.exp2(randn() * 0.5), p, gen, off=1.0)
    scale = eye.clone()
    scale[:, 0, 0] = scale[:, 1, 1] = scale[:, 2, 2] = contrast
    c = scale @ c
    flip = _gate(torch.floor(rand() * 2), p, gen)
    c = (eye - 2 * vv * flip[:, None, None]) @ c
    theta = _gate((rand() * 2 - 1) * math.pi, p, gen)
    cos, sin = torch.cos(theta)[:, None, None], torch.sin(theta)[:, None, None]
    cross = torch.zeros(4, 4, device=dev, dtype=x.dtype)
    a = v[:3]
    cross[0, 1], cross[0, 2], cross[1, 0] = -a[2], a[1], a[2]
    cross[1, 2], cross[2, 0], cross[2, 1] = -a[0], -a[1], a[0]
    rot = cos * (eye - vv) + sin * cross + vv
    rot[:, 3, 3].fill_(1.0)
    c = rot @ c
    sat = _gate(torch.exp2(randn()), p, gen, off=1.0)
    c = (vv + (eye - vv) * sat[:, None, None]) @ c
    return c


class AdaptiveAugment:
    """ADA: the ``bgc`` pipeline at probability ``p``, with ``p`` tuned from D's real logits."""

    def __init__(self, *, target: float, interval: int, kimg: float, p: float) -> None:
        self.target, self.interval, self.kimg = target, interval, kimg
        self._p = torch.tensor(float(p))  # moved to the batches' device at the first call
        self._rt = torch.zeros(())
        self._sign_sum: torch.Tensor | None = None
        self._pending = 0.0  # sign sum restored from a checkpoint, added at the next observe
        self._count = 0
        self._steps = 0

    @property
    def p(self) -> float:
        """The current probability (reads it back from the device)."""
        return float(self._p)

    @property
    def rt(self) -> float:
        """The last r_t (reads it back from the device)."""
        return float(self._rt)

    def _on(self, device: torch.device) -> torch.Tensor:
        if self._p.device != device:  # once per run (and per resume), not per step
            self._p, self._rt = self._p.to(device), self._rt.to(device)
        return self._p

    def __call__(
        self, batch: torch.Tensor, *, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        x = batch
        p = self._on(x.device)
        b, ch, h, w = x.shape
        g = geometric_matrices(x, p, generator)
        grid = F.affine_grid(g[:, :2, :], list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection",
                          align_corners=False)
        if ch == 3:
            c = color_matrices(x, p, generator)
            flat = x.reshape(b, 3, h * w)
            x = (c[:, :3, :3] @ flat + c[:, :3, 3:]).reshape(b, 3, h, w)
        return x

    # -- the AdaptiveGanAugmentation capability ------------------------------------------------
    def observe(self, d_real: torch.Tensor) -> None:
        """Accumulate sign(D(real)); every ``interval`` calls, move ``p`` on the device."""
        signs = torch.sign(d_real.detach().float()).sum()
        if self._sign_sum is None:
            self._sign_sum = signs + self._pending if self._pending else signs
            self._pending = 0.0
        else:
            self._sign_sum = self._sign_sum + signs
        self._count += d_real.numel()
        self._steps += 1
        if self._steps % self.interval:
            return
        p = self._on(d_real.device)
        self._rt = self._sign_sum / max(self._count, 1)
        step = self._count / (self.kimg * 1000.0)
        direction = torch.sign(self._rt - self.target)
        self._p = (p + direction * step).clamp(0.0, 1.0)
        self._sign_sum, self._count = None, 0

    def stats(self) -> dict[str, float]:
        """Logged in each epoch's history: the current ``p`` and the last r_t."""
        return {"ada_p": self.p, "ada_rt": self.rt}

    def state_dict(self) -> dict:
        pending = self._pending if self._sign_sum is None else float(self._sign_sum)
        return {"p": self.p, "rt": self.rt, "sign_sum": pending, "count": self._count,
                "steps": self._steps}

    def load_state_dict(self, state: dict) -> None:
        self._p, self._rt = torch.tensor(float(state["p"])), torch.tensor(float(state["rt"]))
        self._count, self._steps = int(state["count"]), int(state["steps"])
        self._sign_sum, self._pending = None, float(state["sign_sum"]) if self._count else 0.0


def ada(
    *, target: float = 0.6, interval: int = 4, kimg: float = 20.0, p: float = 0.0
) -> AdaptiveAugment:
    """Adaptive discriminator augmentation (Karras et al. 2020) with an adaptive ``p``.

    Args:
        target: Target of r_t = E[sign(D(real))], in (0, 1); 0.6 in the paper.
        interval: Discriminator steps between two updates of ``p`` (>= 1).
        kimg: Thousands of real images over which ``p`` can move from 0 to 1 (> 0). The paper
            uses 500 for runs of millions of images; 20 suits a CPU budget of ~100k.
        p: Initial augmentation probability, in [0, 1].
    """
    if not 0.0 < target < 1.0:
        raise ValueError(f"target must be in (0, 1) (exclusive), got {target}")
    if interval < 1:
        raise ValueError(f"interval must be an integer >= 1, got {interval}")
    if kimg <= 0:
        raise ValueError(f"kimg must be a number > 0, got {kimg}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}")
    return AdaptiveAugment(target=target, interval=interval, kimg=kimg, p=p)


ada.search_space = {"target": {"type": "float", "low": 0.4, "high": 0.8}}
