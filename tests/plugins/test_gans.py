"""The dcgan generator and discriminator: the paper's architecture, variants and contracts."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganlab.errors import PluginError
from ganlab.registry import DISCRIMINATORS, GENERATORS
from ganlab.testing import check_discriminator, check_generator


@pytest.mark.parametrize("size", [16, 32])
@pytest.mark.parametrize("num_classes", [0, 2])
@pytest.mark.parametrize("params", [{}, {"norm": "none"}, {"norm": "layer", "init": "default"}])
def test_generator_contract_across_variants(size: int, num_classes: int, params: dict) -> None:
    check_generator("dcgan", image_size=size, num_classes=num_classes, ngf=8, **params)


@pytest.mark.parametrize("size", [16, 32])
@pytest.mark.parametrize("num_classes", [0, 2])
@pytest.mark.parametrize("params", [{}, {"spectral_norm": True}, {"norm": "instance"}])
def test_discriminator_contract_across_variants(size: int, num_classes: int, params: dict) -> None:
    check_discriminator("dcgan", image_size=size, num_classes=num_classes, ndf=8, **params)


def _conv_widths(net: nn.Module) -> list[int]:
    convs = (nn.Conv2d, nn.ConvTranspose2d)
    return [m.out_channels for m in net.modules() if isinstance(m, convs)]


def test_paper_architecture_at_64px() -> None:
    g = GENERATORS.create("dcgan", nz=100, image_size=64, channels=3, num_classes=0)
    d = DISCRIMINATORS.create("dcgan", image_size=64, channels=3, num_classes=0)
    assert _conv_widths(g) == [512, 256, 128, 64, 3]
    assert _conv_widths(d) == [64, 128, 256, 512, 1]
    # the same parameter counts as pytorch/examples' DCGAN (nz 100, ngf = ndf = 64)
    assert sum(p.numel() for p in g.parameters()) == 3_576_704
    assert sum(p.numel() for p in d.parameters()) == 2_765_568
    first = list(d.features)
    assert isinstance(first[0], nn.Conv2d) and isinstance(first[1], nn.LeakyReLU)
    assert first[1].negative_slope == 0.2
    assert sum(isinstance(m, nn.BatchNorm2d) for m in d.modules()) == 3
    assert not any(isinstance(m, (nn.Linear, nn.MaxPool2d, nn.AvgPool2d)) for m in d.modules())
    assert isinstance(list(g.modules())[-1], nn.Tanh)
    x = g(torch.randn(2, 100))
    assert x.shape == (2, 3, 64, 64)
    assert d(x).shape == (2,)


def test_resolution_128_and_widths_scale() -> None:
    g = GENERATORS.create("dcgan", nz=16, image_size=128, channels=3, num_classes=0, ngf=4)
    assert _conv_widths(g) == [64, 32, 16, 8, 4, 3]
    assert g(torch.randn(2, 16)).shape == (2, 3, 128, 128)


def test_spectral_norm_discriminator_has_no_batchnorm() -> None:
    d = DISCRIMINATORS.create(
        "dcgan", image_size=32, channels=3, num_classes=2, ndf=8, spectral_norm=True
    )
    assert not any(isinstance(m, nn.BatchNorm2d) for m in d.modules())
    assert any(name.endswith("weight_orig") for name, _ in d.named_parameters())


def test_dcgan_init_is_normal_0_02() -> None:
    torch.manual_seed(0)
    g = GENERATORS.create("dcgan", nz=64, image_size=32, channels=3, num_classes=0)
    w = torch.cat([m.weight.flatten() for m in g.modules() if isinstance(m, nn.ConvTranspose2d)])
    assert abs(w.std().item() - 0.02) < 0.001 and abs(w.mean().item()) < 0.001
    g_default = GENERATORS.create(
        "dcgan", nz=64, image_size=32, channels=3, num_classes=0, init="default"
    )
    first = next(m for m in g_default.modules() if isinstance(m, nn.ConvTranspose2d))
    assert abs(first.weight.std().item() - 0.02) > 0.002


def test_labels_condition_both_networks() -> None:
    torch.manual_seed(0)
    g = GENERATORS.create("dcgan", nz=16, image_size=16, channels=3, num_classes=2, ngf=8).eval()
    d = DISCRIMINATORS.create("dcgan", image_size=16, channels=3, num_classes=2, ndf=8).eval()
    z = torch.randn(4, 16)
    zeros, ones = torch.zeros(4, dtype=torch.long), torch.ones(4, dtype=torch.long)
    assert not torch.allclose(g(z, zeros), g(z, ones))
    x = torch.rand(4, 3, 16, 16) * 2 - 1
    assert not torch.allclose(d(x, zeros), d(x, ones))
    with pytest.raises(ValueError, match="labels"):
        g(z)


@pytest.mark.parametrize(
    ("params", "message"),
    [({"image_size": 48}, "power of two"), ({"norm": "group"}, "norm must be one of")],
)
def test_bad_parameters_are_plugin_errors(params: dict, message: str) -> None:
    kwargs = {"nz": 8, "image_size": 32, "channels": 3, "num_classes": 0, **params}
    with pytest.raises(PluginError, match=message):
        GENERATORS.create("dcgan", **kwargs)
