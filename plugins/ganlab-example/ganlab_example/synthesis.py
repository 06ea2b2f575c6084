"""A synthesis strategy: generated images of the smaller class until both classes are even."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class Balance:
    """Adds ``fraction`` of the class gap as generated images of the smaller class."""

    fraction: float = 1.0
    needs_gan: bool = True

    def stages(self, context: Any) -> list[dict[str, Any]]:
        counts = torch.bincount(context.labels, minlength=2)
        small = int(counts.argmin())
        n = max(1, round(self.fraction * int(counts.max() - counts.min())))
        images, labels = context.generate(n, labels=torch.full((n,), small, dtype=torch.long))
        return [{"images": torch.cat([context.images, images]),
                 "labels": torch.cat([context.labels, labels]), "n_synthetic": n,
                 "info": {"class": context.class_names[small], "added": n}}]


def balance(*, fraction: float = 1.0) -> Balance:
    """Generated images of the smaller class until both classes are even (fraction of the gap)."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    return Balance(float(fraction))


balance.search_space = {"fraction": {"type": "float", "low": 0.25, "high": 1.0}}
