"""An exponential moving average of the generator, its decay ramped up.

With ``ramp`` the decay at update ``n`` is ``min(decay, (1 + n) / (10 + n))`` (the schedule of
the DiffAugment and TF-GAN code), so the average follows the generator closely while it is
changing fast and early grids do not show the initial noise a fixed 0.999 keeps for hundreds of
steps. Buffers (BatchNorm running statistics) are averaged too; integer buffers follow the
model. The first update copies the weights (as torch's ``AveragedModel`` does).

The update count is a host integer and the decay a Python number, so an update is one
``_foreach_lerp_`` on the device and never reads a counter back or copies one there (torch's
``AveragedModel`` does both at every update). A checkpoint stores the averaged module's state
dict and the count, so the ramp resumes exactly.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn


class GeneratorEma:
    """The EMA copy of a generator; :attr:`module` is the averaged network (eval mode)."""

    def __init__(self, generator: nn.Module, *, decay: float, ramp: bool) -> None:
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"decay must be in [0, 1), got {decay}")
        self.decay, self.ramp = decay, ramp
        self._module = copy.deepcopy(generator).eval().requires_grad_(False)
        self._updates = 0

    @property
    def module(self) -> nn.Module:
        return self._module

    @property
    def updates(self) -> int:
        return self._updates

    def current(self) -> float:
        """The decay of the next update (after the first, which copies)."""
        if not self.ramp:
            return self.decay
        return min(self.decay, (1 + self._updates) / (10 + self._updates))

    @torch.no_grad()
    def update(self, generator: nn.Module) -> None:
        """Fold the generator's current weights into the average (after a generator step)."""
        ours = [*self._module.parameters(), *self._module.buffers()]
        theirs = [t.detach() for t in (*generator.parameters(), *generator.buffers())]
        floats = [(e, c) for e, c in zip(ours, theirs, strict=True) if e.is_floating_point()]
        if self._updates == 0 or not floats:
            torch._foreach_copy_(ours, theirs)
        else:
            ema, current = (list(t) for t in zip(*floats, strict=True))
            torch._foreach_lerp_(ema, current, 1.0 - self.current())
            for e, c in zip(ours, theirs, strict=True):
                if not e.is_floating_point():  # BatchNorm's num_batches_tracked
                    e.copy_(c)
        self._updates += 1

    def state_dict(self) -> dict[str, Any]:
        return {"module": self.module.state_dict(), "updates": self._updates}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.module.load_state_dict(state["module"])
        self._updates = int(state["updates"])
