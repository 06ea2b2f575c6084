"""The AC-GAN class head (``gan.aux_classifier``): losses, gradients, checkpoints, resume."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from gan_helpers import straight_and_resumed
from torch import nn

from ganlab.config import AuxClassifierConfig, EmaConfig, PluginRef
from ganlab.contracts import DiscriminatorFeatures
from ganlab.errors import TrainingError
from ganlab.gan import train_gan
from ganlab.gan._aux import AuxClassifier
from ganlab.gan._build import build_discriminator
from ganlab.gan._steps import d_step, g_step
from ganlab.registry import LOSSES

CPU = torch.device("cpu")
AC = {
    "loss": PluginRef("hinge"),
    "discriminator": PluginRef("dcgan", {"ndf": 8, "spectral_norm": True}),
    "augment": PluginRef("diffaugment"),
    "ema": EmaConfig(decay=0.999),
    "aux_classifier": AuxClassifierConfig(weight=1.0),
}


@pytest.mark.parametrize("name", ["dcgan", "resnet"])
def test_builtin_discriminators_return_the_features_of_their_logits(name: str) -> None:
    d = build_discriminator(PluginRef(name, {"ndf": 4}), image_size=32, channels=3,
                            num_classes=2).eval()
    assert isinstance(d, DiscriminatorFeatures)
    x, y = torch.randn(3, 3, 32, 32), torch.tensor([0, 1, 1])
    logits, features = d.forward_with_features(x, y)
    assert torch.equal(logits, d(x, y))
    assert features.shape == (3, d.feature_width)


def _step_setup(seed: int = 0):
    torch.manual_seed(seed)
    d = build_discriminator(PluginRef("dcgan", {"ndf": 4, "norm": "none"}),
                            image_size=16, channels=3, num_classes=2)
    aux = AuxClassifier(d, num_classes=2, weight=1.0)
    opt = torch.optim.SGD([*d.parameters(), *aux.parameters()], lr=0.1)
    real, fake = torch.rand(8, 3, 16, 16) * 2 - 1, torch.rand(8, 3, 16, 16) * 2 - 1
    return d, aux, opt, real, fake, torch.tensor([0, 1] * 4)


def test_d_step_trains_the_head_on_real_labels_only() -> None:
    d, aux, opt, real, fake, y = _step_setup()
    before = aux.head.weight.detach().clone()
    expected = aux.score(d, real, y)[1]  # the head's loss on the real batch, before the step
    out = d_step(discriminator=d, loss=LOSSES.create("hinge"), optimizer=opt, real=real,
                 fake=fake, labels=y, aux=aux)
    assert not torch.equal(before, aux.head.weight)  # the D optimizer updates the head
    assert torch.isclose(out["aux_d"], expected, rtol=1e-6)


def test_g_step_pushes_fakes_towards_their_class_and_leaves_d_and_head_alone() -> None:
    d, aux, opt, _, _, y = _step_setup()
    fake = (torch.rand(8, 3, 16, 16) * 2 - 1).requires_grad_(True)
    g_opt = torch.optim.SGD([fake], lr=0.0)
    frozen = [p.detach().clone() for p in [*d.parameters(), *aux.parameters()]]
    out = g_step(discriminator=d, loss=LOSSES.create("hinge"), optimizer=g_opt,
                 fake=fake, labels=y, aux=aux)
    assert "aux_g" in out and fake.grad is not None
    # the gradient includes the head's cross-entropy: it differs from the adversarial one alone
    grad_with = fake.grad.clone()
    fake.grad = None
    g_step(discriminator=d, loss=LOSSES.create("hinge"), optimizer=g_opt, fake=fake, labels=y)
    assert not torch.allclose(grad_with, fake.grad)
    for p, was in zip([*d.parameters(), *aux.parameters()], frozen, strict=True):
        assert p.grad is None and p.requires_grad and torch.equal(p, was)


def test_head_needs_a_discriminator_with_features_and_classes() -> None:
    class Plain(nn.Module):
        def forward(self, x, labels=None):
            return x.flatten(1).mean(1)

    with pytest.raises(TrainingError, match="forward_with_features"):
        AuxClassifier(Plain(), num_classes=2, weight=1.0)
    d = build_discriminator(PluginRef("dcgan", {"ndf": 4}), image_size=16, channels=3,
                            num_classes=0)
    with pytest.raises(TrainingError, match="class-conditional"):
        AuxClassifier(d, num_classes=0, weight=1.0)


def test_training_logs_the_head_and_resume_is_bit_identical(make_cfg, train_set,
                                                            tmp_path) -> None:
    cfg = make_cfg(**AC)
    s, r, a, b = straight_and_resumed(cfg, train_set, tmp_path)
    assert {"aux_d", "aux_g"} <= s.history[0].keys()
    for key in ("generator", "discriminator", "aux_head"):
        assert a[key].keys() == b[key].keys()
        assert all(torch.equal(a[key][k], b[key][k]) for k in a[key]), key
    assert a["meta"]["aux_classifier"] == {"weight": 1.0}
    assert [h["aux_d"] for h in s.history] == [h["aux_d"] for h in r.history]


def test_resume_refuses_a_changed_head_weight(make_cfg, train_set, tmp_path) -> None:
    cfg = make_cfg(**AC)
    train_gan(dataclasses.replace(cfg, epochs=1), train_set, out_dir=tmp_path, device=CPU, seed=0)
    other = dataclasses.replace(cfg, epochs=2, aux_classifier=AuxClassifierConfig(weight=0.5))
    with pytest.raises(TrainingError, match="aux_classifier"):
        train_gan(other, train_set, out_dir=tmp_path, device=CPU, seed=0)
