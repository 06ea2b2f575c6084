"""Built-in augmentations: seeded, vectorised per sample, on the batch's device, in [-1, 1]."""

from __future__ import annotations

import pytest
import torch

from ganlab.errors import PluginError
from ganlab.registry import AUGMENTATIONS


def _batch(n: int = 6, size: int = 16, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, size, size, generator=g) * 2 - 1


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("name", AUGMENTATIONS.names())
def test_seeded_shape_range(name: str) -> None:
    aug = AUGMENTATIONS.create(name)
    x = _batch()
    a = aug(x, generator=_gen(1))
    assert a.shape == x.shape and a.dtype == x.dtype and a.device == x.device
    assert a.min() >= -1 and a.max() <= 1
    assert torch.equal(a, aug(x, generator=_gen(1)))
    assert not torch.equal(a, aug(x, generator=_gen(2)))
    torch.manual_seed(3)
    b = aug(x)
    torch.manual_seed(3)
    assert torch.equal(b, aug(x))  # the global RNG works too


@pytest.mark.parametrize("name", ["rotation", "shear", "color_jitter", "random_resized_crop"])
def test_each_sample_draws_its_own_parameters(name: str) -> None:
    x = _batch(1).repeat(4, 1, 1, 1)
    out = AUGMENTATIONS.create(name)(x, generator=_gen(0))
    assert all(not torch.allclose(out[0], out[k]) for k in range(1, 4))


@pytest.mark.parametrize("name", AUGMENTATIONS.names())
def test_p_zero_is_identity(name: str) -> None:
    x = _batch()
    out = AUGMENTATIONS.create(name, p=0.0)(x, generator=_gen(0))
    assert torch.allclose(out, x, atol=1e-5)


def test_flips_are_exact() -> None:
    x = _batch()
    assert torch.equal(AUGMENTATIONS.create("hflip", p=1.0)(x), x.flip(-1))
    assert torch.equal(AUGMENTATIONS.create("vflip", p=1.0)(x), x.flip(-2))
    half = AUGMENTATIONS.create("hflip")(_batch(64), generator=_gen(0))
    flipped = sum(torch.equal(h, f) for h, f in zip(half, _batch(64).flip(-1), strict=True))
    assert 16 < flipped < 48


def test_zero_strength_is_identity() -> None:
    x = _batch()
    for name, params in (("rotation", {"degrees": 0.0}), ("shear", {"degrees": 0.0}),
                         ("color_jitter", {"brightness": 0.0, "contrast": 0.0,
                                           "saturation": 0.0, "hue": 0.0}),
                         ("random_resized_crop", {"scale_min": 1.0, "ratio_max": 1.0})):
        assert torch.allclose(AUGMENTATIONS.create(name, **params)(x), x, atol=1e-5), name


def test_bad_parameters() -> None:
    with pytest.raises(PluginError, match="p must be"):
        AUGMENTATIONS.create("hflip", p=2.0)
    with pytest.raises(PluginError, match="padding_mode"):
        AUGMENTATIONS.create("rotation", padding_mode="wrap")


@pytest.mark.gpu
@pytest.mark.parametrize("name", AUGMENTATIONS.names())
def test_on_gpu_with_cpu_generator(name: str) -> None:
    x = _batch().cuda()
    out = AUGMENTATIONS.create(name)(x, generator=_gen(0))
    assert out.device == x.device
    ref = AUGMENTATIONS.create(name)(x.cpu(), generator=_gen(0))
    assert torch.allclose(out.cpu(), ref, atol=1e-4)
