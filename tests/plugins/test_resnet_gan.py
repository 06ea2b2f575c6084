"""The SNGAN ResNet pair: reference layouts, every size, conditioning, spectral norm, trunk."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganlab.errors import PluginError
from ganlab.registry import CLASSIFIERS, DISCRIMINATORS, GENERATORS
from ganlab.testing import check_discriminator, check_generator


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread: None) -> None:
    """Tiny networks run fastest and steadiest on one torch thread."""


@pytest.mark.parametrize("size", [32, 64, 128])
@pytest.mark.parametrize("num_classes", [0, 2])
def test_contracts_at_every_size(size: int, num_classes: int) -> None:
    check_generator("resnet", image_size=size, num_classes=num_classes, ngf=2)
    check_discriminator("resnet", image_size=size, num_classes=num_classes, ndf=2)


def _convs(net: nn.Module, k: int) -> list[int]:
    return [m.out_channels for m in net.modules()
            if isinstance(m, nn.Conv2d) and m.kernel_size == (k, k)]


@pytest.mark.parametrize(
    ("size", "g_widths", "d_widths"),
    [
        (32, [256] * 6 + [3], [128] * 8),
        (64, [512, 512, 256, 256, 128, 128, 64, 64, 3], [64, 64, 128, 128, 256, 256, 512, 512,
                                                          1024, 1024]),
        (128, [1024, 1024, 512, 512, 256, 256, 128, 128, 64, 64, 3],
         [64, 64, 128, 128, 256, 256, 512, 512, 1024, 1024, 1024, 1024]),
    ],
)
def test_default_widths_are_the_references(size: int, g_widths: list, d_widths: list) -> None:
    g = GENERATORS.create("resnet", nz=128, image_size=size, channels=3, num_classes=2)
    d = DISCRIMINATORS.create("resnet", image_size=size, channels=3, num_classes=2)
    assert _convs(g, 3) == g_widths
    assert _convs(d, 3) == d_widths
    assert g.l1.out_features == 16 * (256 if size == 32 else 1024)


@pytest.mark.parametrize("size", [32, 64, 128])
def test_shapes_and_conditioning_at_each_size(size: int) -> None:
    torch.manual_seed(0)
    g = GENERATORS.create("resnet", nz=16, image_size=size, channels=3, num_classes=2, ngf=4)
    d = DISCRIMINATORS.create("resnet", image_size=size, channels=3, num_classes=2, ndf=4)
    z = torch.randn(4, 16)
    zeros, ones = torch.zeros(4, dtype=torch.long), torch.ones(4, dtype=torch.long)
    with torch.no_grad():  # give the class embeddings different values, as training does
        for m in g.modules():
            if hasattr(m, "scale"):
                m.scale.weight[1].mul_(1.5)
    g.eval()
    x0, x1 = g(z, zeros), g(z, ones)
    assert x0.shape == (4, 3, size, size) and x0.abs().max() <= 1
    assert not torch.allclose(x0, x1)
    x = torch.rand(4, 3, size, size) * 2 - 1
    assert d(x, zeros).shape == (4,)
    assert not torch.allclose(d(x, zeros), d(x, ones))
    with pytest.raises(ValueError, match="labels"):
        g(z)
    with pytest.raises(ValueError, match="labels"):
        d(x)


def test_every_discriminator_layer_is_spectrally_normalised() -> None:
    d = DISCRIMINATORS.create("resnet", image_size=32, channels=3, num_classes=2, ndf=4)
    layers = [m for m in d.modules() if isinstance(m, (nn.Conv2d, nn.Linear, nn.Embedding))]
    assert layers and all(hasattr(m, "weight_orig") for m in layers)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in d.modules())
    plain = DISCRIMINATORS.create("resnet", image_size=32, channels=3, num_classes=0, ndf=4,
                                  spectral_norm=False)
    assert not any(name.endswith("weight_orig") for name, _ in plain.named_parameters())


def test_generator_uses_conditional_batchnorm_and_no_transposed_convolutions() -> None:
    g = GENERATORS.create("resnet", nz=16, image_size=64, channels=3, num_classes=2, ngf=4)
    assert not any(isinstance(m, nn.ConvTranspose2d) for m in g.modules())
    embeddings = [m for m in g.modules() if isinstance(m, nn.Embedding)]
    assert len(embeddings) == 2 * 2 * 4  # scale + shift, two CBNs per block, 4 blocks at 64 px
    unconditional = GENERATORS.create("resnet", nz=16, image_size=64, channels=3,
                                      num_classes=0, ngf=4)
    assert not any(isinstance(m, nn.Embedding) for m in unconditional.modules())


def test_its_trunk_serves_the_gan_pretrained_classifier() -> None:
    clf = CLASSIFIERS.create("discriminator", num_classes=2, image_size=64, channels=3,
                             discriminator={"name": "resnet", "ndf": 4})
    assert clf(torch.rand(2, 3, 64, 64) * 2 - 1).shape == (2, 2)


@pytest.mark.parametrize("size", [16, 48, 256])
def test_unsupported_sizes_are_plugin_errors(size: int) -> None:
    with pytest.raises(PluginError, match="32, 64, 128"):
        GENERATORS.create("resnet", nz=8, image_size=size, channels=3, num_classes=0)
    with pytest.raises(PluginError, match="32, 64, 128"):
        DISCRIMINATORS.create("resnet", image_size=size, channels=3, num_classes=0)
