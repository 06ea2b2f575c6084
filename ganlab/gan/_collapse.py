"""Per-class collapse: a class whose samples are far less diverse than its own real images.

The all-sample diversity check of :class:`~ganlab.gan.HealthMonitor` misses a conditional
generator that draws nearly one image per class: the distance between the two classes' images
keeps the overall diversity up. Here each class's samples are compared with the same class's
real images (mean pairwise pixel distance), so such a generator is caught.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ganlab.errors import TrainingError
from ganlab.gan._sampling import mean_pairwise_distance

MAX_REAL = 256  # real images per class whose diversity is measured (a seeded subset)


def class_diversity(
    images: torch.Tensor, labels: torch.Tensor | None, num_groups: int
) -> list[float | None]:
    """Mean pairwise distance of the images of each label (``None`` with fewer than 2),
    computed on the images' device."""
    if labels is None:
        return [mean_pairwise_distance(images) if len(images) >= 2 else None]
    out: list[float | None] = []
    for label in range(num_groups):
        group = images[labels.to(images.device) == label]
        out.append(mean_pairwise_distance(group) if len(group) >= 2 else None)
    return out


class ClassCollapseDetector:
    """Compares each class's sample diversity with its real images' diversity.

    Args:
        real_images: Real uint8 images (N, C, S, S) of every class, on the device where the
            samples will be (the distances are computed there).
        real_labels: Their labels, or ``None`` for an unconditional generator (one group).
        class_names: Name of each label (the reason names the class).
        ratio: A class has collapsed when its samples' diversity is below ``ratio`` times that
            of its real images (``gan.metrics.collapse_ratio``).
        fail: Raise :class:`TrainingError` on a lasting collapse (``gan.metrics.collapse =
            "fail"``); otherwise :meth:`check` only returns the reason, to flag the run.
        patience: Consecutive collapsed checks (after ``warmup``) that fail the run.
        warmup: Epochs whose checks never fail the run (a barely trained generator in eval
            mode draws nearly one image).
        seed: Seed of the real subset.
    """

    def __init__(
        self,
        real_images: torch.Tensor,
        real_labels: torch.Tensor | None,
        class_names: Sequence[str],
        *,
        ratio: float = 0.25,
        fail: bool = False,
        patience: int = 2,
        warmup: int = 1,
        seed: int = 0,
    ) -> None:
        self.names = list(class_names) if real_labels is not None else ["all classes"]
        self.ratio, self.fail, self.patience, self.warmup = ratio, fail, patience, warmup
        self.conditional = real_labels is not None
        gen = torch.Generator().manual_seed(seed)
        pick = torch.randperm(len(real_images), generator=gen)
        images = real_images[pick]
        labels = real_labels[pick].cpu() if real_labels is not None else None
        if labels is not None:
            keep = torch.cat([torch.nonzero(labels == c).flatten()[:MAX_REAL]
                              for c in range(len(self.names))])
            images, labels = images[keep], labels[keep]
        else:
            images = images[:MAX_REAL]
        self.real = class_diversity(images, labels, len(self.names))
        self._strikes = 0

    def measure(self, fake: torch.Tensor, labels: torch.Tensor | None) -> dict[str, Any]:
        """Per class: ``real`` and ``fake`` diversity, their ``ratio`` and ``collapsed``."""
        fake_div = class_diversity(fake, labels if self.conditional else None, len(self.names))
        out: dict[str, Any] = {}
        for name, real, ours in zip(self.names, self.real, fake_div, strict=True):
            if real is None or ours is None or real <= 0:
                continue
            ratio = ours / real
            out[name] = {"real": real, "fake": ours, "ratio": ratio,
                         "collapsed": ratio < self.ratio}
        return out

    def reason(self, measured: dict[str, Any]) -> str | None:
        """A one-line reason naming every collapsed class, or ``None``."""
        bad = [f"{name} {m['ratio']:.1%}" for name, m in measured.items() if m["collapsed"]]
        if not bad:
            return None
        return (
            f"per-class mode collapse: the samples of {', '.join(bad)} of the diversity (mean "
            f"pairwise distance) of the same class's real images, below {self.ratio:.0%}; the "
            "generator draws nearly one image per class. Try DiffAugment/ADA, a lower learning "
            "rate, another loss, or fewer epochs."
        )

    def check(
        self, epoch: int, fake: torch.Tensor, labels: torch.Tensor | None
    ) -> tuple[dict[str, Any], str | None]:
        """Measure one epoch's samples: (measurement, reason or ``None``).

        With ``fail``, raises :class:`TrainingError` after ``patience`` consecutive collapsed
        checks past the ``warmup`` epochs; otherwise the caller flags the run with the reason.
        """
        measured = self.measure(fake, labels)
        reason = self.reason(measured)
        if epoch <= self.warmup:
            return measured, reason
        self._strikes = self._strikes + 1 if reason else 0
        if self.fail and reason and self._strikes >= self.patience:
            raise TrainingError(f"epoch {epoch}: {reason} ({self._strikes} checks in a row)")
        return measured, reason
