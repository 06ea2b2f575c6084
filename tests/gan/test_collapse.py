"""Per-class collapse: caught when a class's samples lose their diversity, not otherwise."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from ganlab.config import GanMetricsConfig
from ganlab.data import ImageSet
from ganlab.errors import TrainingError
from ganlab.gan import GanTrainer, mean_pairwise_distance
from ganlab.gan._collapse import ClassCollapseDetector

NAMES = ("benign", "malignant")


def tiny_set(n: int = 32, seed: int = 0) -> ImageSet:
    """Random 16 px images of two classes (class 1 carries a bright square)."""
    g = torch.Generator().manual_seed(seed)
    labels = (torch.arange(n) % 2).long()
    images = torch.randint(0, 160, (n, 3, 16, 16), dtype=torch.uint8, generator=g)
    images[labels == 1, :, 4:12, 4:12] += 90
    ids = [f"{i}.png" for i in range(n)]
    return ImageSet(images, labels, ids, ids, NAMES)


class IgnoresZ(nn.Module):
    """A conditional generator whose output depends on the label only: one image per class."""

    def __init__(self, size: int = 16) -> None:
        super().__init__()
        self.table = nn.Parameter(torch.randn(2, 3, size, size))

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return torch.tanh(self.table[labels]) + 0.0 * z.sum()


def _as_uint8(x: torch.Tensor) -> torch.Tensor:
    return ((x + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)


def test_fires_on_a_generator_that_ignores_z() -> None:
    real = tiny_set(64, seed=0)
    labels = torch.arange(32) % 2
    fake = _as_uint8(IgnoresZ()(torch.randn(32, 16), labels).detach())
    det = ClassCollapseDetector(real.images, real.labels, NAMES, fail=True)
    measured, reason = det.check(1, fake, labels)  # warm-up epoch: measured, never raised
    assert measured["benign"]["ratio"] == 0.0 and measured["malignant"]["collapsed"]
    assert "benign 0.0%" in reason and "malignant 0.0%" in reason
    det.check(2, fake, labels)  # first strike after warm-up
    with pytest.raises(TrainingError, match="per-class mode collapse.*2 checks in a row"):
        det.check(3, fake, labels)


def test_does_not_fire_on_real_like_diversity() -> None:
    real = tiny_set(128, seed=0)
    other = tiny_set(64, seed=5)  # the same distribution, other images
    det = ClassCollapseDetector(real.images, real.labels, NAMES, fail=True)
    for epoch in range(1, 6):
        measured, reason = det.check(epoch, other.images, other.labels)
        assert reason is None
    assert all(0.8 < m["ratio"] < 1.2 for m in measured.values())


def test_one_collapsed_class_is_named_even_when_overall_diversity_looks_fine() -> None:
    real = tiny_set(128, seed=0)
    fake, labels = tiny_set(64, seed=5).images.clone(), torch.arange(64) % 2
    fake[labels == 0] = fake[0].clone()  # one benign image; the malignant ones stay diverse
    overall = mean_pairwise_distance(fake) / mean_pairwise_distance(real.images)
    assert overall > 0.5  # the all-sample check of HealthMonitor cannot see this
    measured, reason = ClassCollapseDetector(real.images, real.labels, NAMES).check(5, fake,
                                                                                   labels)
    assert measured["benign"]["ratio"] < 0.01 and measured["malignant"]["ratio"] > 0.8
    assert reason is not None and "benign" in reason and "malignant" not in reason


def _trainer(make_cfg, tmp_path, collapse: str) -> GanTrainer:
    cfg = make_cfg(epochs=3, sample_every=1,
                   metrics=dataclasses.replace(GanMetricsConfig(), collapse=collapse))
    trainer = GanTrainer(cfg, tiny_set(), out_dir=tmp_path, device=torch.device("cpu"), seed=0)
    trainer.generator = trainer.g_run = IgnoresZ()
    return trainer


def test_the_trainer_fails_a_collapsed_run_with_the_reason(make_cfg, tmp_path) -> None:
    with pytest.raises(TrainingError, match="epoch 3: per-class mode collapse"):
        _trainer(make_cfg, tmp_path / "fail", "fail").fit()


def test_the_trainer_flags_a_collapsed_run_by_default(make_cfg, tmp_path) -> None:
    result = _trainer(make_cfg, tmp_path / "flag", "flag").fit()
    last = result.history[-1]
    assert "per-class mode collapse" in last["class_collapse"]
    assert last["class_diversity"] == {"benign": 0.0, "malignant": 0.0}


def test_identical_images_measure_exactly_zero_diversity() -> None:
    """More than 25 rows: torch.cdist's matrix-product shortcut would leave rounding residue."""
    one = tiny_set(1, seed=3).images.repeat(64, 1, 1, 1)
    assert mean_pairwise_distance(one) == 0.0
    assert mean_pairwise_distance(one.float() / 255.0) == 0.0
