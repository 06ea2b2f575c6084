"""Every registered plugin of every kind against its contract (generated from the registry).

A plugin added later, built-in or installed from another package, is tested here for free.
"""

from __future__ import annotations

import inspect
import re

import pytest

from ganlab.registry import REGISTRIES
from ganlab.testing import (
    CHECKS,
    AugmentationContract,
    ClassifierContract,
    DiscriminatorContract,
    GeneratorContract,
    LossContract,
    check_capabilities,
    check_gan_pretraining,
    check_search_space,
    plugin_cases,
    tiny_gan_checkpoint,
)

# Parameters a plugin needs to run at the tiny sizes used here (only where it has them).
TINY_PARAMS: dict[tuple[str, str], dict] = {
    ("classifiers", "timm"): {"model": "resnet18", "pretrained": False},
    ("classifiers", "compact_cnn"): {"width": 8},
    ("generators", "dcgan"): {"ngf": 8},
    ("discriminators", "dcgan"): {"ndf": 8},
    ("classifiers", "discriminator"): {"discriminator": {"name": "dcgan", "ndf": 8}},
    ("generators", "resnet"): {"ngf": 4},
    ("discriminators", "resnet"): {"ndf": 4},
}

CASES = list(plugin_cases())
# The largest networks run in the full suite only; the dcgan and compact_cnn cases keep the
# same checks in the fast tier.
HEAVY = {("classifiers", "timm"), ("generators", "resnet"), ("discriminators", "resnet")}
NET_CASES = [pytest.param(k, n, id=f"{k}:{n}", marks=[pytest.mark.slow] if (k, n) in HEAVY else [])
             for k, n in CASES]


def _params(kind: str, name: str) -> dict:
    wanted = TINY_PARAMS.get((kind, name), {})
    if not wanted:
        return {}
    accepted = set(inspect.signature(REGISTRIES[kind].load(name)).parameters)
    return {k: v for k, v in wanted.items() if k in accepted}


def test_every_kind_has_plugins() -> None:
    assert {kind for kind, _ in CASES} == set(REGISTRIES)


@pytest.mark.parametrize(("kind", "name"), NET_CASES)
def test_contract(kind: str, name: str) -> None:
    params = _params(kind, name)
    if kind in ("generators", "discriminators"):
        for num_classes in (0, 2):
            CHECKS[kind](name, num_classes=num_classes, **params)
    else:
        CHECKS[kind](name, **params)


@pytest.mark.parametrize(("kind", "name"), CASES, ids=[f"{k}:{n}" for k, n in CASES])
def test_search_space_names_real_parameters(kind: str, name: str) -> None:
    check_search_space(kind, name)


@pytest.mark.parametrize(("kind", "name"), NET_CASES)
def test_capabilities_keep_their_contracts(kind: str, name: str, tmp_path) -> None:
    found = check_capabilities(kind, name, **_params(kind, name))
    if "UsesGanCheckpoint" in found:
        check_gan_pretraining(name, tiny_gan_checkpoint(tmp_path / "gan.pt"),
                              **_params(kind, name))


# -- the checks themselves must fail on plugins that break a contract ----------------------------
BROKEN_PLUGINS = '''
import numpy as np
import torch
from torch import nn


def float_filter():
    return lambda img: img.astype(np.float32)


def inplace_filter():
    def f(img):
        img[0, 0] = 0
        return img
    return f


def gray_filter():
    return lambda img: img[..., 0].copy()


def unseeded_aug():
    return lambda x: x * float(np.random.default_rng().uniform(0.1, 0.9))


def out_of_range_aug():
    return lambda x: x * 2


class _G(nn.Module):
    def __init__(self, nz, size, channels, squash):
        super().__init__()
        self.size, self.channels, self.squash = size, channels, squash
        self.fc = nn.Linear(nz, channels * size * size)

    def forward(self, z, labels=None):
        x = self.fc(z).view(-1, self.channels, self.size, self.size)
        return torch.tanh(x) if self.squash else x * 10


def half_size_generator(nz, image_size, channels, num_classes):
    return _G(nz, image_size // 2, channels, True)


def unsquashed_generator(nz, image_size, channels, num_classes):
    return _G(nz, image_size, channels, False)


class _D(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.LazyLinear(1)

    def forward(self, x, labels=None):
        return self.fc(x.flatten(1))


def column_discriminator(image_size, channels, num_classes):
    return _D()


def frozen_sgd(params):
    return torch.optim.SGD(params, lr=0.0)


class _VectorLoss:
    def d_loss(self, *, d_real, d_fake, real, fake, discriminator, labels):
        return d_fake - d_real

    def g_loss(self, *, d_fake):
        return -d_fake.mean()


def vector_loss():
    return _VectorLoss()


def one_logit_classifier(num_classes, image_size, channels):
    return nn.Sequential(nn.Flatten(), nn.LazyLinear(1))


class _Net(nn.Module):
    def __init__(self, width=4):
        super().__init__()
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, width), nn.Linear(width, 2))

    def forward(self, x):
        return self.fc(x)


class _FreezesForever(_Net):
    def on_epoch_start(self, epoch):
        for p in self.parameters():
            p.requires_grad_(False)


def freezing_classifier(num_classes, image_size, channels):
    return _FreezesForever()


def wrong_rebuild_classifier(num_classes, image_size, channels, width=4):
    net = _Net(width)
    net.rebuild_params = {"width": width + 1}
    return net


def misnamed_checkpoint_classifier(num_classes, image_size, channels, gan=None):
    return _Net()


misnamed_checkpoint_classifier.gan_checkpoint_param = "checkpoint"


def ignores_checkpoint_classifier(num_classes, image_size, channels, checkpoint=None):
    return _Net()


ignores_checkpoint_classifier.gan_checkpoint_param = "checkpoint"


class _StringFlagLoss(_VectorLoss):
    watch_d_collapse = "yes"


def string_flag_loss():
    return _StringFlagLoss()


class _Unseeded:
    needs_gan = True

    def stages(self, ctx):
        images, labels = ctx.generate(4, seed=int(np.random.default_rng().integers(1 << 30)))
        return [{"images": torch.cat([ctx.images, images]),
                 "labels": torch.cat([ctx.labels, labels]), "n_synthetic": 4}]


def unseeded_synthesis():
    return _Unseeded()


class _FloatImages:
    needs_gan = False

    def stages(self, ctx):
        return [{"images": ctx.images.float(), "labels": ctx.labels}]


def float_synthesis():
    return _FloatImages()
'''

BROKEN_CASES = [
    ("filters", "float_filter", "dtype uint8"),
    ("filters", "inplace_filter", "in place"),
    ("filters", "gray_filter", "(H, W, 3)"),
    ("augmentations", "unseeded_aug", "deterministic"),
    ("augmentations", "out_of_range_aug", "[-1, 1]"),
    ("generators", "half_size_generator", "output shape"),
    ("generators", "unsquashed_generator", "[-1, 1]"),
    ("discriminators", "column_discriminator", "logits shape"),
    ("optimizers", "frozen_sgd", "unchanged"),
    ("losses", "vector_loss", "0-dim"),
    ("classifiers", "one_logit_classifier", "logits shape"),
    ("synthesis", "unseeded_synthesis", "not deterministic"),
    ("synthesis", "float_synthesis", "images must be uint8"),
]


@pytest.mark.parametrize(("kind", "name", "message"), BROKEN_CASES)
def test_checks_reject_contract_breakers(
    kind: str, name: str, message: str, tmp_path, monkeypatch
) -> None:
    from ganlab.testing import ContractError, extra_entry_points, fake_entry_point

    (tmp_path / "broken_plugins_mod.py").write_text(BROKEN_PLUGINS)
    monkeypatch.syspath_prepend(str(tmp_path))
    ep = fake_entry_point(f"ganlab.{kind}", name, f"broken_plugins_mod:{name}", package="broken")
    with extra_entry_points(ep), pytest.raises(ContractError, match=re.escape(message)):
        CHECKS[kind](name)


CAPABILITY_BREAKERS = [
    ("classifiers", "freezing_classifier", "EpochHook"),
    ("classifiers", "wrong_rebuild_classifier", "does not take the original's weights"),
    ("classifiers", "misnamed_checkpoint_classifier", "is not a keyword parameter"),
    ("losses", "string_flag_loss", "watch_d_collapse must be a bool"),
]


@pytest.mark.parametrize(("kind", "name", "message"), CAPABILITY_BREAKERS)
def test_capability_checks_reject_breakers(
    kind: str, name: str, message: str, tmp_path, monkeypatch
) -> None:
    from ganlab.testing import ContractError, extra_entry_points, fake_entry_point

    (tmp_path / "broken_plugins_mod.py").write_text(BROKEN_PLUGINS)
    monkeypatch.syspath_prepend(str(tmp_path))
    ep = fake_entry_point(f"ganlab.{kind}", name, f"broken_plugins_mod:{name}", package="broken")
    with extra_entry_points(ep), pytest.raises(ContractError, match=re.escape(message)):
        check_capabilities(kind, name)


def test_gan_pretraining_check_rejects_an_ignored_checkpoint(tmp_path, monkeypatch) -> None:
    from ganlab.testing import ContractError, extra_entry_points, fake_entry_point

    (tmp_path / "broken_plugins_mod.py").write_text(BROKEN_PLUGINS)
    monkeypatch.syspath_prepend(str(tmp_path))
    name = "ignores_checkpoint_classifier"
    ep = fake_entry_point("ganlab.classifiers", name, f"broken_plugins_mod:{name}",
                          package="broken")
    ckpt = tiny_gan_checkpoint(tmp_path / "gan.pt")
    with extra_entry_points(ep):
        assert check_capabilities("classifiers", name) == ["UsesGanCheckpoint"]
        with pytest.raises(ContractError, match="does not change the model"):
            check_gan_pretraining(name, ckpt)


# -- the class-based suites, as a third party would use them --------------------------------------
class TestDcganGeneratorSuite(GeneratorContract):
    plugin = "dcgan"
    params = {"ngf": 8}


class TestDcganDiscriminatorSuite(DiscriminatorContract):
    plugin = "dcgan"
    params = {"ndf": 8}


class TestWganGpSuite(LossContract):
    plugin = "wgan_gp"


class TestHflipSuite(AugmentationContract):
    plugin = "hflip"


class TestDiscriminatorClassifierSuite(ClassifierContract):
    plugin = "discriminator"
    params = {"discriminator": {"name": "dcgan", "ndf": 8}, "freeze_epochs": 1}
