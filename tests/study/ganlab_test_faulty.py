"""A third-party-style classifier plugin that fails on purpose (for the fault tests)."""

from __future__ import annotations

import torch
from torch import nn


class _NanNet(nn.Module):
    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.fc = nn.Linear(3, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.mean((2, 3))) * float("nan")


def faulty_classifier(
    fault: str = "raise", num_classes: int = 2, image_size: int = 64, channels: int = 3
) -> nn.Module:
    """Raise, run out of memory, predict NaN, or (``"none"``) work, as ``fault`` says."""
    if fault == "raise":
        raise RuntimeError("faulty plugin exploded")
    if fault == "oom":
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    if fault == "nan":
        return _NanNet(num_classes)
    return nn.Sequential(nn.Flatten(), nn.Linear(channels * image_size**2, num_classes))
