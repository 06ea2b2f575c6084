"""The ``patch_projection`` discriminator: a small strided CNN with a class projection.

It shows the optional ``forward_with_features`` hook (``ganlab.contracts.DiscriminatorFeatures``)
that ``gan.aux_classifier`` uses, without importing ganlab.
"""

from __future__ import annotations

import torch
from torch import nn


class PatchProjection(nn.Module):
    """Two strided convolutions, mean pooling, a linear logit and a class projection."""

    def __init__(self, *, channels: int, num_classes: int, width: int) -> None:
        super().__init__()
        sn = nn.utils.spectral_norm
        self.trunk = nn.Sequential(
            sn(nn.Conv2d(channels, width, 4, 2, 1)), nn.LeakyReLU(0.2),
            sn(nn.Conv2d(width, 2 * width, 4, 2, 1)), nn.LeakyReLU(0.2),
        )
        self.out = sn(nn.Linear(2 * width, 1))
        self.embed = sn(nn.Embedding(num_classes, 2 * width)) if num_classes > 0 else None
        self.feature_width = 2 * width  # what forward_with_features returns per image

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.forward_with_features(x, labels)[0]

    def forward_with_features(
        self, x: torch.Tensor, labels: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits (B,) and the pooled features (B, feature_width) they are computed from."""
        h = self.trunk(x).mean(dim=(2, 3))
        logits = self.out(h).flatten()
        if self.embed is not None and labels is not None:
            logits = logits + (self.embed(labels) * h).sum(dim=1)
        return logits, h


def patch_projection(
    *, image_size: int, channels: int, num_classes: int, width: int = 32
) -> nn.Module:
    """A small projection discriminator (any image size >= 4).

    Args:
        image_size: Side of the square input images (passed by ganlab).
        channels: Input channels (passed by ganlab).
        num_classes: 0 for unconditional; otherwise a class projection (passed by ganlab).
        width: Channels of the first convolution (the second has twice as many).
    """
    if unsupported_image_size(image_size) or width < 1:
        raise ValueError("image_size must be >= 4 and width >= 1")
    return PatchProjection(channels=channels, num_classes=num_classes, width=width)


def unsupported_image_size(image_size: int) -> str:
    """``""`` for a side this discriminator takes, else the rule: the optional
    ``ganlab.contracts.DeclaresImageSizes`` capability, which lets ``ganlab config check``
    refuse a ``data.image_size`` the network cannot take before any trial."""
    return "" if image_size >= 4 else "patch_projection needs image_size >= 4"


patch_projection.unsupported_image_size = unsupported_image_size  # type: ignore[attr-defined]
