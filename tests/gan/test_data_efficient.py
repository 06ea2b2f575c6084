"""Data-efficient GAN training: D augmentation, generator EMA, lazy R1, and their resume."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from ganlab.config import EmaConfig, PluginRef, R1Config
from ganlab.errors import TrainingError
from ganlab.gan import load_generator, train_gan
from ganlab.gan._ema import GeneratorEma
from ganlab.gan._steps import d_step, r1_penalty

CPU = torch.device("cpu")
DE = {
    "loss": PluginRef("hinge"),
    "discriminator": PluginRef("dcgan", {"ndf": 8, "spectral_norm": True}),
    "augment": PluginRef("diffaugment"),
    "ema": EmaConfig(decay=0.999),
    "r1": R1Config(gamma=1.0, every=2),
}


def _equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_ema_ramp_follows_then_averages() -> None:
    net = torch.nn.Linear(2, 2)
    ema = GeneratorEma(net, decay=0.999, ramp=True)
    with torch.no_grad():
        net.weight.fill_(1.0)
    ema.update(net)  # first update copies
    assert torch.equal(ema.module.weight, net.weight)
    with torch.no_grad():
        net.weight.fill_(2.0)
    ema.update(net)  # decay min(0.999, 2/11): mostly the new weights
    assert torch.allclose(ema.module.weight, torch.full((2, 2), 1 + 9 / 11))
    fixed = GeneratorEma(net, decay=0.5, ramp=False)
    fixed.update(net)
    with torch.no_grad():
        net.weight.fill_(0.0)
    fixed.update(net)
    assert torch.allclose(fixed.module.weight, torch.full((2, 2), 1.0))
    with pytest.raises(ValueError, match="decay"):
        GeneratorEma(net, decay=1.0, ramp=True)


def test_ema_generator_is_what_grids_and_export_use(make_cfg, train_set, tmp_path) -> None:
    result = train_gan(make_cfg(epochs=2, **DE), train_set, out_dir=tmp_path, device=CPU, seed=0)
    state = torch.load(result.checkpoint, weights_only=True)
    assert state["ema"]["updates"] == 8  # 2 epochs x 4 generator steps
    assert not _equal(state["ema"]["module"], state["generator"])
    g, meta = load_generator(result.checkpoint)
    assert meta["ema"] and _equal(g.state_dict(), state["ema"]["module"])
    assert {"r1"} <= result.history[0].keys() and result.history[0]["r1"] >= 0


@pytest.mark.slow  # fast: tests/gan/test_trainer.py resume tests
def test_ema_augment_r1_resume_is_bit_identical(make_cfg, train_set, tmp_path) -> None:
    for aug in (PluginRef("diffaugment"), PluginRef("ada", {"p": 0.3, "interval": 1})):
        cfg = dataclasses.replace(make_cfg(**DE), augment=aug)
        s = train_gan(dataclasses.replace(cfg, epochs=2), train_set, out_dir=tmp_path / aug.name
                      / "s", device=CPU, seed=3)
        train_gan(dataclasses.replace(cfg, epochs=1), train_set,
                  out_dir=tmp_path / aug.name / "r", device=CPU, seed=3)
        r = train_gan(dataclasses.replace(cfg, epochs=2), train_set,
                      out_dir=tmp_path / aug.name / "r", device=CPU, seed=3)
        a = torch.load(s.checkpoint, weights_only=True)
        b = torch.load(r.checkpoint, weights_only=True)
        for key in ("generator", "discriminator"):
            assert _equal(a[key], b[key]), (aug.name, key)
        assert _equal(a["ema"]["module"], b["ema"]["module"])
        assert a["augment_state"] == b["augment_state"] and a["d_steps"] == b["d_steps"]
        assert [h["d_loss"] for h in s.history] == [h["d_loss"] for h in r.history]


def test_augment_is_applied_to_real_and_fake_and_reaches_g(make_cfg, train_set) -> None:
    from ganlab.gan._build import build_discriminator, build_generator
    from ganlab.gan._steps import g_step

    calls = []

    def aug(x):
        calls.append(x.requires_grad)
        return x.flip(3) * 0.5

    g = build_generator(PluginRef("dcgan", {"ngf": 8}), nz=8, image_size=16, channels=3,
                        num_classes=0)
    d = build_discriminator(PluginRef("dcgan", {"ndf": 8}), image_size=16, channels=3,
                            num_classes=0)
    from ganlab_plugins.losses import hinge
    fake = g(torch.randn(4, 8))
    d_step(discriminator=d, loss=hinge(), optimizer=torch.optim.SGD(d.parameters(), 0.1),
           real=torch.rand(4, 3, 16, 16), fake=fake, labels=None, augment=aug)
    assert len(calls) == 2
    g_step(discriminator=d, loss=hinge(), optimizer=torch.optim.SGD(g.parameters(), 0.1),
           fake=fake, labels=None, augment=aug)
    assert calls[-1] is True and all(p.grad is not None for p in g.parameters())


def test_r1_penalty_closed_form() -> None:
    class Linear(torch.nn.Module):
        def forward(self, x, labels=None):
            return 3.0 * x.flatten(1).sum(dim=1)

    x = torch.rand(4, 3, 2, 2)
    assert torch.isclose(r1_penalty(Linear(), x, None), torch.tensor(9.0 * 12))


def test_r1_works_with_every_loss(make_cfg, train_set, tmp_path) -> None:
    for name in ("bce", "hinge", "lsgan", "wgan_gp"):
        cfg = make_cfg(epochs=1, loss=PluginRef(name), r1=R1Config(gamma=0.5, every=1),
                       discriminator=PluginRef("dcgan", {"ndf": 8, "norm": "none"}))
        result = train_gan(cfg, train_set, out_dir=tmp_path / name, device=CPU, seed=0)
        assert result.history[0]["r1"] > 0


def test_nan_from_r1_fails_with_the_reason(make_cfg, train_set, tmp_path) -> None:
    cfg = make_cfg(epochs=2, r1=R1Config(gamma=float("inf"), every=1))
    with pytest.raises(TrainingError, match="R1 penalty is on.*gan.r1.gamma"):
        train_gan(cfg, train_set, out_dir=tmp_path, device=CPU, seed=0)


def test_ada_p_rises_when_d_overfits_a_tiny_set(make_cfg, train_set, tmp_path) -> None:
    cfg = make_cfg(epochs=3, loss=PluginRef("hinge"),
                   augment=PluginRef("ada", {"interval": 1, "kimg": 0.05}),
                   optimizer=PluginRef("adam", {"lr": 2e-3, "betas": [0.5, 0.999]}))
    n = 16
    small = type(train_set)(train_set.images[:n], train_set.labels[:n], train_set.paths[:n],
                            train_set.ids[:n], train_set.class_names)
    result = train_gan(cfg, small, out_dir=tmp_path, device=CPU, seed=0)
    ps = [h["ada_p"] for h in result.history]
    assert ps[-1] > 0 and all(0 <= p <= 1 for p in ps)
    assert torch.load(result.checkpoint, weights_only=True)["augment_state"]["p"] == ps[-1]
