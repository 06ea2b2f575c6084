"""Optimizers: ``factory(params, **hp) -> torch.optim.Optimizer``, each with a search space.

The defaults are the usual GAN settings (Adam 2e-4, betas 0.5/0.999 as in DCGAN and the paper).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch


def _betas(betas: Sequence[float]) -> tuple[float, float]:
    if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
        raise ValueError(f"betas must be two numbers in [0, 1), got {list(betas)}")
    return float(betas[0]), float(betas[1])


def _positive_lr(lr: float) -> float:
    if lr <= 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    return float(lr)


def _fused(params: list, fused: bool | None) -> bool | None:
    """``fused=None`` means: the fused kernel when every parameter is a CUDA float tensor."""
    if fused is not None:
        return fused
    tensors = [p for group in params for p in (group["params"] if isinstance(group, dict)
                                                else [group])]
    ok = bool(tensors) and all(t.is_cuda and t.is_floating_point() for t in tensors)
    return True if ok else None


def adam(
    params: Iterable,
    *,
    lr: float = 2e-4,
    betas: Sequence[float] = (0.5, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    fused: bool | None = None,
) -> torch.optim.Optimizer:
    """Adam (the paper's: lr 2e-4, betas 0.5/0.999).

    Args:
        fused: The fused CUDA kernel; default: on when every parameter is on a GPU.
    """
    params = list(params)
    return torch.optim.Adam(
        params, lr=_positive_lr(lr), betas=_betas(betas), eps=eps, weight_decay=weight_decay,
        fused=_fused(params, fused),
    )


adam.search_space = {"lr": {"type": "float", "low": 5e-5, "high": 1e-3, "log": True}}


def adamw(
    params: Iterable,
    *,
    lr: float = 2e-4,
    betas: Sequence[float] = (0.5, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    fused: bool | None = None,
) -> torch.optim.Optimizer:
    """AdamW: Adam with decoupled weight decay.

    Args:
        fused: The fused CUDA kernel; default: on when every parameter is on a GPU.
    """
    params = list(params)
    return torch.optim.AdamW(
        params, lr=_positive_lr(lr), betas=_betas(betas), eps=eps, weight_decay=weight_decay,
        fused=_fused(params, fused),
    )


adamw.search_space = {
    "lr": {"type": "float", "low": 5e-5, "high": 1e-3, "log": True},
    "weight_decay": {"type": "float", "low": 1e-5, "high": 1e-1, "log": True},
}


def sgd(
    params: Iterable,
    *,
    lr: float = 1e-2,
    momentum: float = 0.9,
    nesterov: bool = False,
    weight_decay: float = 0.0,
) -> torch.optim.Optimizer:
    """SGD with (optionally Nesterov) momentum."""
    if not 0.0 <= momentum < 1.0:
        raise ValueError(f"momentum must be in [0, 1), got {momentum}")
    return torch.optim.SGD(
        params, lr=_positive_lr(lr), momentum=momentum, nesterov=nesterov,
        weight_decay=weight_decay,
    )


sgd.search_space = {
    "lr": {"type": "float", "low": 1e-4, "high": 1e-1, "log": True},
    "momentum": {"type": "float", "low": 0.0, "high": 0.95},
}


def rmsprop(
    params: Iterable,
    *,
    lr: float = 5e-5,
    alpha: float = 0.99,
    momentum: float = 0.0,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
) -> torch.optim.Optimizer:
    """RMSprop (the original WGAN's optimizer, lr 5e-5)."""
    return torch.optim.RMSprop(
        params, lr=_positive_lr(lr), alpha=alpha, momentum=momentum, eps=eps,
        weight_decay=weight_decay,
    )


rmsprop.search_space = {"lr": {"type": "float", "low": 1e-5, "high": 1e-3, "log": True}}
