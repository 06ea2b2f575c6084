"""No host sync inside a GAN step: nothing is read back to the host or copied to the device.

A ``TorchDispatchMode`` sees every aten call of one discriminator step and one generator step
(after a first step that creates the optimizers' state and moves constants to the device once)
of each recipe of studies/paper.toml, on tiny networks. It counts what would stall a GPU's
queue: ``aten._local_scalar_dense`` (``.item()``, ``float(t)``, ``if t:``), host-to-device
copies, and tensors made from Python values (``torch.tensor(x)`` is ``lift_fresh``). The only
reads allowed are of the optimizers' step counters, which torch keeps on the host on purpose
(non-capturable Adam reads them as numbers; no device is involved).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import torch
from gan_helpers import tiny_set
from torch.utils._python_dispatch import TorchDispatchMode

from ganlab.config import load_config
from ganlab.data import build_augmentation
from ganlab.gan import GanTrainer

PAPER = Path(__file__).parents[2] / "studies" / "paper.toml"
TINY = {"gan.generator.ngf": 8, "gan.discriminator.ndf": 8, "gan.batch_size": 8,
        "gan.n_critic": 1}
COLOUR = [{"name": "hflip"}, {"name": "rot90"},
          {"name": "color_jitter", "brightness": 0.1, "contrast": 0.1, "saturation": 0.1}]
RECIPES = {
    "paper": (None, {}),  # the paper's DCGAN, BCE, rotation/shear/flips on real batches
    "paper-colour": (None, {"data.augmentations": COLOUR}),  # colour jitter on real batches
    "cpu-gan-de": ("cpu-gan-de", {}),
    "cpu-gan-ac": ("cpu-gan-ac", {}),
    # ADA moving p at every step, and R1 at every step
    "ada": ("cpu-gan-ada", {"gan.augment": {"name": "ada", "p": 0.3, "interval": 1},
                            "gan.r1": {"gamma": 1.0, "every": 1}}),
}
aten = torch.ops.aten
_CREATE = {aten.scalar_tensor.default, aten.lift_fresh.default, aten.lift_fresh_copy.default}


class HostSyncCounter(TorchDispatchMode):
    """Counts host reads, host-to-device copies and tensors made from Python values."""

    def __init__(self, allowed_reads: list[torch.Tensor]) -> None:
        super().__init__()
        self.allowed = {t.untyped_storage().data_ptr() for t in allowed_reads}
        self.counts: Counter[str] = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is aten._local_scalar_dense.default:
            if args[0].untyped_storage().data_ptr() not in self.allowed:
                self.counts["read to host"] += 1
        elif func is aten._to_copy.default:
            dest = kwargs.get("device") or args[0].device
            if args[0].device.type == "cpu" and torch.device(dest).type != "cpu":
                self.counts["host-to-device copy"] += 1
        elif func is aten.copy_.default:
            if args[1].device.type == "cpu" and args[0].device.type != "cpu":
                self.counts["host-to-device copy"] += 1
        elif func in _CREATE:
            self.counts[f"tensor from a Python value ({func.__name__})"] += 1
        return func(*args, **kwargs)


def _trainer(recipe: str, tmp_path: Path) -> GanTrainer:
    profile, changes = RECIPES[recipe]
    cfg = load_config(PAPER, profile=profile, overrides={**TINY, **changes},
                      check_plugins=False)
    return GanTrainer(cfg.gan, tiny_set(n=16, size=32), out_dir=tmp_path, device="cpu", seed=0,
                      augment=build_augmentation(cfg.data.augmentations))


def _step_counters(trainer: GanTrainer) -> list[torch.Tensor]:
    return [s["step"] for opt in (trainer.d_opt, trainer.g_opt) for s in opt.state.values()
            if isinstance(s.get("step"), torch.Tensor)]


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_one_gan_step_reads_nothing_back(recipe: str, tmp_path: Path) -> None:
    trainer = _trainer(recipe, tmp_path)
    idx = torch.arange(8)
    trainer.train_step(idx, g_turn=True)  # optimizer state, constants moved to the device
    counter = HostSyncCounter(_step_counters(trainer))
    with counter:
        out = trainer.train_step(idx, g_turn=True)
    assert {"d_loss", "g_loss"} <= out.keys()
    if recipe == "ada":
        assert "r1" in out
    if recipe == "cpu-gan-ac":
        assert {"aux_d", "aux_g"} <= out.keys()
    assert dict(counter.counts) == {}, recipe


def test_the_counter_sees_what_it_must() -> None:
    """The counter is not blind: ``.item()``, ``float``, ``torch.tensor`` all count."""
    x = torch.ones(3)
    with HostSyncCounter([]) as counter:
        x.sum().item()
        float(x[0])
        torch.tensor(2.0) * x
    assert counter.counts == Counter({"read to host": 2,
                                      "tensor from a Python value (lift_fresh.default)": 1})
