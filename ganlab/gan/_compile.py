"""``gan.compile``: a compiled discriminator whose forwards never invalidate each other.

A discriminator step runs D two or three times before one backward pass: on the real batch, on
the fakes and, for gradient penalties (WGAN-GP, R1), once more uncompiled (aot_autograd has no
double backward). Spectral norm's power iteration and BatchNorm's running statistics update
buffers in place in every training-mode forward, and a compiled graph saves the updated
buffers for its backward: the next forward bumps their version and the backward fails ("one
of the variables needed for gradient computation has been modified by an inplace operation").
Eager spectral norm avoids it by cloning; here each compiled forward runs on fresh copies of
the buffers (``torch.func.functional_call``), which are then written back, so the buffers
advance exactly as in an eager step and each graph keeps its own saved copies.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.func import functional_call

from ganlab.contracts import DiscriminatorFeatures


class _Features(nn.Module):
    """``forward_with_features`` as a module's forward, so it can be compiled the same way."""

    def __init__(self, discriminator: nn.Module) -> None:
        super().__init__()
        self.d = discriminator

    def forward(
        self, x: torch.Tensor, labels: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.d.forward_with_features(x, labels)


class CompiledDiscriminator(nn.Module):
    """``torch.compile`` of a discriminator (``forward`` and, where declared,
    ``forward_with_features``), each call on copies of its buffers written back afterwards.

    Args:
        discriminator: The eager discriminator (its parameters and buffers are the state).
        mode: ``torch.compile``'s mode (``None`` or ``"reduce-overhead"``).
    """

    def __init__(self, discriminator: nn.Module, *, mode: str | None = None) -> None:
        super().__init__()
        self.discriminator = discriminator
        self._compiled = {"": torch.compile(discriminator, mode=mode)}
        if isinstance(discriminator, DiscriminatorFeatures):
            self._compiled["features"] = torch.compile(_Features(discriminator), mode=mode)
            self.feature_width = discriminator.feature_width

    def _run(self, which: str, x: torch.Tensor, labels: torch.Tensor | None):
        prefix = "_orig_mod." if which == "" else "_orig_mod.d."
        copies = {name: b.clone() for name, b in self.discriminator.named_buffers()}
        out = functional_call(
            self._compiled[which], {prefix + n: b for n, b in copies.items()}, (x, labels)
        )
        with torch.no_grad():
            for name, b in self.discriminator.named_buffers():
                b.copy_(copies[name])
        return out

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self._run("", x, labels)

    def forward_with_features(
        self, x: torch.Tensor, labels: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The compiled ``forward_with_features`` (the class head of ``gan.aux_classifier``)."""
        if "features" not in self._compiled:
            raise TypeError(f"{type(self.discriminator).__name__} has no forward_with_features")
        return self._run("features", x, labels)
