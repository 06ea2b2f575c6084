"""The inner loops: one training epoch, and batched (optionally flip-averaged) prediction."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor, nn

from ganlab.errors import TrainingError


def to_input(images: Tensor, device: torch.device, channels_last: bool) -> Tensor:
    """uint8 (B, C, S, S) -> float in [-1, 1] on ``device`` (optionally channels_last)."""
    x = images.to(device, non_blocking=True).float().div_(127.5).sub_(1.0)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


def train_epoch(
    model: nn.Module,
    images: Tensor,
    labels: Tensor,
    order: Tensor,
    *,
    optimizer: torch.optim.Optimizer,
    loss_fn: nn.Module,
    batch_size: int,
    device: torch.device,
    channels_last: bool,
    augment: Callable[[Tensor], Tensor] | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> float:
    """One pass over ``images[order]`` in batches; returns the mean training loss."""
    model.train()
    total, seen = 0.0, 0
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        if len(idx) < 2 and seen:  # a lone last sample would break BatchNorm
            break
        x = to_input(images[idx], device, channels_last)
        if augment is not None:
            x = augment(x)
        y = labels[idx].to(device)
        loss = loss_fn(model(x), y)
        if not torch.isfinite(loss):
            raise TrainingError(
                f"classifier loss became {loss.item()} after {seen} images; lower the "
                f"learning rate (classifier.optimizer.lr) or check the input images"
            )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += float(loss.detach()) * len(idx)
        seen += len(idx)
        if on_batch is not None:
            on_batch(len(idx))
    return total / max(seen, 1)


@torch.inference_mode()
def predict_logits(
    model: nn.Module,
    images: Tensor,
    *,
    device: torch.device,
    batch_size: int = 256,
    channels_last: bool = True,
    tta: bool = False,
) -> Tensor:
    """Logits (N, K) in eval mode; with ``tta`` the mean softmax over identity, h- and v-flip
    is returned as log-probabilities."""
    model.eval()
    out = []
    for start in range(0, len(images), batch_size):
        x = to_input(images[start : start + batch_size], device, channels_last)
        if not tta:
            out.append(model(x).float().cpu())
            continue
        views = (x, torch.flip(x, dims=[3]), torch.flip(x, dims=[2]))
        probs = torch.stack([model(v).float().softmax(1) for v in views]).mean(0)
        out.append(probs.clamp_min(1e-12).log().cpu())
    if not out:
        return torch.zeros(0, 2)
    return torch.cat(out)


def positive_probability(logits: Tensor) -> np.ndarray:
    """Probability of class 1 from (N, 2) logits."""
    return logits.softmax(1)[:, 1].double().numpy()
