"""d_step and g_step update exactly their own network."""

from __future__ import annotations

import torch

from ganlab.gan import d_step, g_step
from ganlab.registry import DISCRIMINATORS, GENERATORS, LOSSES, OPTIMIZERS


def _setup():
    torch.manual_seed(0)
    g = GENERATORS.create("dcgan", nz=8, image_size=16, channels=3, num_classes=2, ngf=8)
    d = DISCRIMINATORS.create("dcgan", image_size=16, channels=3, num_classes=2, ndf=8)
    return g, d, OPTIMIZERS.create("adam", g.parameters()), OPTIMIZERS.create(
        "adam", d.parameters()
    )


def _snapshot(net):
    return [p.detach().clone() for p in net.parameters()]


def _changed(before, net) -> bool:
    return any(not torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))


def test_d_step_updates_only_the_discriminator() -> None:
    g, d, g_opt, d_opt = _setup()
    labels = torch.tensor([0, 1, 0, 1])
    fake = g(torch.randn(4, 8), labels)
    g0, d0 = _snapshot(g), _snapshot(d)
    out = d_step(discriminator=d, loss=LOSSES.create("bce"), optimizer=d_opt,
                 real=torch.rand(4, 3, 16, 16) * 2 - 1, fake=fake, labels=labels)
    assert _changed(d0, d) and not _changed(g0, g)
    assert all(p.grad is None for p in g.parameters())  # fake was detached
    assert set(out) == {"d_loss", "d_real", "d_fake", "d_real_logits"}
    assert 0 <= float(out["d_real"]) <= 1


def test_g_step_updates_only_the_generator_and_leaves_d_grads_alone() -> None:
    g, d, g_opt, d_opt = _setup()
    labels = torch.tensor([0, 1, 0, 1])
    fake = g(torch.randn(4, 8), labels)
    d_opt.zero_grad(set_to_none=True)
    d0 = _snapshot(d)
    g0 = _snapshot(g)
    out = g_step(discriminator=d, loss=LOSSES.create("bce"), optimizer=g_opt, fake=fake,
                 labels=labels)
    assert _changed(g0, g)
    assert not any(not torch.equal(a, b.detach()) for a, b in zip(d0, d.parameters(), strict=True))
    assert all(p.grad is None for p in d.parameters())
    assert all(p.requires_grad for p in d.parameters())  # unfrozen again
    assert float(out["g_loss"]) > 0
