"""Pure step functions: one optimizer step, and batched (optionally view-averaged) prediction."""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn


def to_input(images: Tensor, device: torch.device, channels_last: bool) -> Tensor:
    """uint8 (B, C, S, S) -> float in [-1, 1] on ``device`` (optionally channels_last)."""
    x = images.to(device, non_blocking=True).float().div_(127.5).sub_(1.0)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


def autocast(device: torch.device, dtype: torch.dtype | None) -> Any:
    """``torch.autocast`` on ``device`` in ``dtype``; a no-op context when ``dtype`` is None."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def train_step(
    model: nn.Module,
    x: Tensor,
    target: Tensor,
    *,
    optimizer: torch.optim.Optimizer,
    loss_fn: nn.Module,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    amp_dtype: torch.dtype | None = None,
) -> Tensor:
    """One optimizer step on a batch; returns the detached loss (no host sync).

    ``target`` is (B,) class indices or (B, K) class probabilities (mixup/cutmix).
    """
    with autocast(x.device, amp_dtype):
        logits = model(x)
    loss = loss_fn(logits.float(), target)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    if scheduler is not None:
        scheduler.step()
    return loss.detach()


@torch.inference_mode()
def predict_logits(
    model: nn.Module,
    images: Tensor,
    *,
    device: torch.device,
    batch_size: int = 256,
    channels_last: bool = True,
    tta: bool | str = False,
    amp_dtype: torch.dtype | None = None,
) -> Tensor:
    """Logits (N, K) in eval mode. With ``tta`` (``True`` or ``"flips"``: identity, h- and
    v-flip; ``"dihedral"``: the 8 rotations and reflections of the square) the mean softmax over
    the views is returned as log-probabilities."""
    model.eval()
    out = []
    for start in range(0, len(images), batch_size):
        x = to_input(images[start : start + batch_size], device, channels_last)
        with autocast(x.device, amp_dtype):
            out.append(_predict(model, x, tta))
    if not out:
        return torch.zeros(0, 2)
    return torch.cat(out)


def tta_views(x: Tensor, tta: bool | str) -> list[Tensor]:
    """The test-time views of a (B, C, H, W) batch for a ``tta`` setting (see predict_logits)."""
    if not tta:
        return [x]
    if tta is True or tta == "flips":
        return [x, torch.flip(x, dims=[3]), torch.flip(x, dims=[2])]
    if tta == "dihedral":
        turns = [torch.rot90(x, k, dims=(2, 3)) for k in range(4)]
        return turns + [torch.flip(t, dims=[3]) for t in turns]
    raise ValueError(f"tta must be false, true, 'flips' or 'dihedral', got {tta!r}")


def _predict(model: nn.Module, x: Tensor, tta: bool | str) -> Tensor:
    if not tta:
        return model(x).float().cpu()
    probs = torch.stack([model(v).float().softmax(1) for v in tta_views(x, tta)]).mean(0)
    return probs.clamp_min(1e-12).log().cpu()


def positive_probability(logits: Tensor) -> np.ndarray:
    """Probability of class 1 from (N, 2) logits."""
    return logits.softmax(1)[:, 1].double().numpy()
