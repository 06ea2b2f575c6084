"""HealthMonitor: each failure is detected after its patience, healthy runs pass."""

from __future__ import annotations

import math

import pytest

from ganlab.errors import TrainingError
from ganlab.gan import HealthMonitor


def _entry(d=0.7, g=1.5, div=0.5):
    return {"d_loss": d, "g_loss": g, "d_real": 0.6, "d_fake": 0.4, "diversity": div}


def test_healthy_epochs_pass() -> None:
    mon = HealthMonitor()
    for epoch in range(1, 20):
        mon.check(epoch, _entry(), real_diversity=1.0)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_nan_or_inf_stops_at_once(bad: float) -> None:
    with pytest.raises(TrainingError, match="diverged at epoch 3: g_loss"):
        HealthMonitor().check(3, _entry(g=bad), real_diversity=1.0)


def test_discriminator_collapse_needs_patience_epochs_in_a_row() -> None:
    mon = HealthMonitor(patience=3)
    mon.check(1, _entry(d=1e-4, g=30), real_diversity=1.0)
    mon.check(2, _entry(d=1e-4, g=30), real_diversity=1.0)
    mon.check(3, _entry(), real_diversity=1.0)  # recovery resets the count
    mon.check(4, _entry(d=1e-4, g=30), real_diversity=1.0)
    mon.check(5, _entry(d=1e-4, g=30), real_diversity=1.0)
    with pytest.raises(TrainingError, match="discriminator loss fell"):
        mon.check(6, _entry(d=1e-4, g=30), real_diversity=1.0)


def test_discriminator_collapse_ignored_for_wgan_style_losses() -> None:
    mon = HealthMonitor(watch_d_collapse=False)
    for epoch in range(1, 6):
        mon.check(epoch, _entry(d=0.0, g=50), real_diversity=1.0)


def test_diversity_collapse_after_warmup() -> None:
    mon = HealthMonitor(patience=2, warmup=1)
    mon.check(1, _entry(div=0.001), real_diversity=1.0)  # warm-up epoch: not counted
    mon.check(2, _entry(div=0.001), real_diversity=1.0)
    with pytest.raises(TrainingError, match="mode collapse at epoch 3"):
        mon.check(3, _entry(div=0.001), real_diversity=1.0)


def test_counters_survive_a_resume() -> None:
    mon = HealthMonitor(patience=2)
    mon.check(1, _entry(d=1e-4, g=30), real_diversity=1.0)
    resumed = HealthMonitor(patience=2)
    resumed.load_state(mon.state())
    with pytest.raises(TrainingError):
        resumed.check(2, _entry(d=1e-4, g=30), real_diversity=1.0)
