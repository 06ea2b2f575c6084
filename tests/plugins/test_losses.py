"""GAN losses: contract, closed-form values, and the WGAN-GP gradient penalty."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from ganlab.errors import PluginError
from ganlab.registry import LOSSES
from ganlab.testing import check_loss


def _values(name: str, d_real: float, d_fake: float, **params) -> tuple[float, float]:
    loss = LOSSES.create(name, **params)
    real, fake = torch.full((4,), d_real), torch.full((4,), d_fake)
    d = loss.d_loss(d_real=real, d_fake=fake, real=None, fake=None, discriminator=None,
                    labels=None)
    return float(d), float(loss.g_loss(d_fake=fake))


@pytest.mark.parametrize("params", [{}, {"real_label": 0.9}])
def test_bce_contract(params: dict) -> None:
    check_loss("bce", **params)


@pytest.mark.parametrize(
    ("name", "d_real", "d_fake", "want_d", "want_g"),
    [
        ("bce", 0.0, 0.0, 2 * math.log(2), math.log(2)),
        ("bce", 30.0, -30.0, 0.0, 30.0),
        ("hinge", 0.0, 0.0, 2.0, 0.0),
        ("hinge", 2.0, -2.0, 0.0, 2.0),
        ("lsgan", 0.0, 0.0, 0.5, 0.5),
        ("lsgan", 1.0, 0.0, 0.0, 0.5),
    ],
)
def test_closed_form_values(name, d_real, d_fake, want_d, want_g) -> None:
    d, g = _values(name, d_real, d_fake)
    assert d == pytest.approx(want_d, abs=1e-5)
    assert g == pytest.approx(want_g, abs=1e-5)


def test_bce_label_smoothing_moves_the_real_target() -> None:
    d_smooth, _ = _values("bce", 30.0, -30.0, real_label=0.9)
    # BCE(sigmoid(30), 0.9) ~ 0.1 * 30: a confident D is now penalised
    assert d_smooth == pytest.approx(3.0, abs=0.01)


class _LinearCritic(nn.Module):
    """D(x) = <w, x> with ||w|| = scale: its input gradient has norm ``scale`` everywhere."""

    def __init__(self, scale: float) -> None:
        super().__init__()
        w = torch.randn(3 * 8 * 8)
        self.w = nn.Parameter(w / w.norm() * scale)

    def forward(self, x, labels=None):
        return x.flatten(1) @ self.w


@pytest.mark.parametrize(("scale", "penalty"), [(1.0, 0.0), (3.0, 4.0)])
def test_wgan_gp_penalty_on_a_linear_critic(scale: float, penalty: float) -> None:
    torch.manual_seed(0)
    critic = _LinearCritic(scale)
    real, fake = torch.randn(5, 3, 8, 8), torch.randn(5, 3, 8, 8)
    loss = LOSSES.create("wgan_gp", gp_weight=10.0)
    d_real, d_fake = critic(real), critic(fake)
    value = loss.d_loss(d_real=d_real, d_fake=d_fake, real=real, fake=fake,
                        discriminator=critic, labels=None)
    want = float((d_fake.mean() - d_real.mean()).detach()) + 10.0 * penalty
    assert float(value.detach()) == pytest.approx(want, rel=1e-4, abs=1e-4)
    value.backward()  # the penalty backpropagates into the critic (double backward)
    assert critic.w.grad is not None
    assert loss.recommended_n_critic == 5 and not loss.watch_d_collapse


def test_bad_parameters_are_plugin_errors() -> None:
    with pytest.raises(PluginError, match="real_label"):
        LOSSES.create("bce", real_label=1.5)
    with pytest.raises(PluginError, match="gp_weight"):
        LOSSES.create("wgan_gp", gp_weight=-1)
