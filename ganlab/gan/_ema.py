"""An exponential moving average of the generator (torch's ``AveragedModel``), decay ramped up.

With ``ramp`` the decay at update ``n`` is ``min(decay, (1 + n) / (10 + n))`` (the schedule of
the DiffAugment and TF-GAN code), so the average follows the generator closely while it is
changing fast and early grids do not show the initial noise a fixed 0.999 keeps for hundreds of
steps. Buffers (BatchNorm running statistics) are averaged too. The update count lives in the
``AveragedModel``'s ``n_averaged`` buffer, so a checkpoint's state dict resumes the ramp exactly.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel


class _RampedEmaFn:
    """``multi_avg_fn`` for ``AveragedModel``: in-place lerp towards the current weights."""

    def __init__(self, decay: float, ramp: bool) -> None:
        self.decay, self.ramp = decay, ramp
        self.updates = 0  # mirrored from n_averaged on the host: no device sync per step

    def current(self) -> float:
        if not self.ramp:
            return self.decay
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def __call__(self, ema: list[torch.Tensor], current: list[torch.Tensor], _: Any) -> None:
        weight = 1.0 - self.current()
        if torch.is_floating_point(ema[0]):
            torch._foreach_lerp_(ema, current, weight)
        else:  # integer buffers (BatchNorm's num_batches_tracked): follow the model
            for e, c in zip(ema, current, strict=True):
                e.copy_(c)


class GeneratorEma:
    """The EMA copy of a generator; :attr:`module` is the averaged network (eval mode)."""

    def __init__(self, generator: nn.Module, *, decay: float, ramp: bool) -> None:
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"decay must be in [0, 1), got {decay}")
        self._fn = _RampedEmaFn(decay, ramp)
        self._avg = AveragedModel(generator, multi_avg_fn=self._fn, use_buffers=True)
        self._avg.module.eval().requires_grad_(False)

    @property
    def module(self) -> nn.Module:
        return self._avg.module

    @property
    def updates(self) -> int:
        return self._fn.updates

    def update(self, generator: nn.Module) -> None:
        """Fold the generator's current weights into the average (after a generator step)."""
        self._avg.update_parameters(generator)
        self._fn.updates += 1

    def state_dict(self) -> dict[str, Any]:
        return {"module": self.module.state_dict(), "updates": self._fn.updates}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.module.load_state_dict(state["module"])
        self._fn.updates = int(state["updates"])
        self._avg.n_averaged.fill_(self._fn.updates)
