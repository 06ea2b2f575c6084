"""DiffAugment and ADA: shape, differentiability (gradcheck), seeding, ADA's adaptive p."""

from __future__ import annotations

import pytest
import torch

from ganlab.contracts import AdaptiveGanAugmentation, GanAugmentation
from ganlab.registry import GAN_AUGMENTATIONS

ALL = [("diffaugment", {}), ("ada", {"p": 0.8})]


def _seeded(aug, seed: int = 0):
    """The augmentation with its random draws replayed from ``seed`` on every call."""
    return lambda x: aug(x, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize(("name", "params"), ALL)
def test_shape_device_contract_and_effect(name, params) -> None:
    aug = GAN_AUGMENTATIONS.create(name, **params)
    assert isinstance(aug, GanAugmentation)
    x = torch.rand(6, 3, 16, 16) * 2 - 1
    y = _seeded(aug)(x)
    assert y.shape == x.shape and y.dtype == x.dtype and not torch.equal(x, y)
    assert torch.equal(y, _seeded(aug)(x)) and not torch.equal(y, _seeded(aug, 1)(x))


@pytest.mark.parametrize(("name", "params"), ALL)
def test_gradcheck(name, params) -> None:
    aug = GAN_AUGMENTATIONS.create(name, **params)
    x = (torch.rand(2, 3, 8, 8, dtype=torch.float64) * 2 - 1).requires_grad_(True)
    # fast mode: analytic vs numeric derivative along random directions (a full Jacobian
    # took 10-50 s for ADA)
    assert torch.autograd.gradcheck(_seeded(aug), (x,), eps=1e-6, atol=1e-4, fast_mode=True)


def test_per_sample_parameters() -> None:
    aug = GAN_AUGMENTATIONS.create("diffaugment", policy="color")
    x = torch.zeros(1, 3, 8, 8).repeat(8, 1, 1, 1) + torch.linspace(-1, 1, 8)
    y = _seeded(aug)(x)
    assert len({round(float(v), 5) for v in y.mean(dim=(1, 2, 3))}) == 8


def test_ada_at_p_zero_is_the_identity() -> None:
    """At p = 0 the pipeline still runs (p lives on the device), every transform off."""
    aug = GAN_AUGMENTATIONS.create("ada")
    x = torch.rand(4, 3, 32, 32) * 2 - 1
    torch.testing.assert_close(aug(x), x, atol=1e-5, rtol=0)


def test_ada_p_rises_when_d_overfits_and_falls_when_not() -> None:
    aug = GAN_AUGMENTATIONS.create("ada", target=0.6, interval=2, kimg=0.1)
    assert isinstance(aug, AdaptiveGanAugmentation)
    for _ in range(10):
        aug.observe(torch.full((16,), 3.0))  # D sure about every real image: r_t = 1
    high = aug.stats()["ada_p"]
    assert high > 0.5 and aug.stats()["ada_rt"] == 1.0
    for _ in range(4):
        aug.observe(torch.tensor([1.0, -1.0] * 8))  # r_t = 0 < target
    assert aug.stats()["ada_p"] < high
    state = aug.state_dict()
    again = GAN_AUGMENTATIONS.create("ada", target=0.6, interval=2, kimg=0.1)
    again.load_state_dict(state)
    assert again.stats() == aug.stats()


@pytest.mark.parametrize(
    ("params", "message"),
    [({"target": 1.0}, "target must be in \\(0, 1\\)"), ({"interval": 0}, "interval"),
     ({"kimg": 0.0}, "kimg"), ({"p": 2.0}, "p must be in")],
)
def test_ada_rejects_bad_values(params, message) -> None:
    with pytest.raises(Exception, match=message):
        GAN_AUGMENTATIONS.create("ada", **params)


def test_diffaugment_rejects_unknown_policy() -> None:
    with pytest.raises(Exception, match="color, translation, cutout"):
        GAN_AUGMENTATIONS.create("diffaugment", policy="color,zoom")
