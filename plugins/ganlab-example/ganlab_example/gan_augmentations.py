"""A discriminator augmentation that tunes itself: random horizontal flips with an adaptive p.

It shows ganlab's ``AdaptiveGanAugmentation`` capability without importing ganlab: the GAN
trainer calls ``observe`` with D's real logits after each discriminator step, logs ``stats``
per epoch and keeps ``state_dict`` in checkpoints.
"""

from __future__ import annotations

from typing import Any

import torch


class AdaptiveFlip:
    """Flip each image with probability ``p``; ``p`` rises while D is sure of the real images."""

    def __init__(self, *, target: float, step: float) -> None:
        self.target, self.step, self.p = target, step, 0.0

    def __call__(
        self, batch: torch.Tensor, *, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        if self.p <= 0:
            return batch
        coin = torch.rand(batch.shape[0], device=batch.device, generator=generator) < self.p
        return torch.where(coin[:, None, None, None], batch.flip(-1), batch)

    def observe(self, d_real: torch.Tensor) -> None:
        overfit = float(torch.sign(d_real.detach()).mean())
        direction = 1.0 if overfit > self.target else -1.0
        self.p = min(1.0, max(0.0, self.p + direction * self.step))

    def stats(self) -> dict[str, float]:
        return {"flip_p": self.p}

    def state_dict(self) -> dict[str, Any]:
        return {"p": self.p}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.p = float(state["p"])


def adaptive_flip(*, target: float = 0.6, step: float = 0.01) -> AdaptiveFlip:
    """Horizontal flips of real and fake images with a p tuned from sign(D(real)).

    Args:
        target: Target of E[sign(D(real))], in (0, 1).
        step: How far p moves after each discriminator step.
    """
    if not 0.0 < target < 1.0:
        raise ValueError(f"target must be in (0, 1), got {target}")
    if step <= 0:
        raise ValueError(f"step must be > 0, got {step}")
    return AdaptiveFlip(target=target, step=step)
