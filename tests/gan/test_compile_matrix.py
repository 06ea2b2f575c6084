"""``gan.compile`` never crashes: every loss x discriminator x D augmentation x EMA x R1 x class
head passes the config check and trains compiled steps on the CPU.

Tiny networks at 32 px. The runs share one process on purpose: dynamo reuses the graphs it
compiled for an architecture across runs (the generator is the same everywhere, and the loss,
augmentation, EMA and R1 live outside the compiled graphs), so the 288 runs compile a few
graphs per discriminator, not 288 times (dynamo is reset between discriminators, as a fresh
process would be). ``fail_on_recompile_limit_hit`` makes a silent fall
back to eager a failure, so every run really trains compiled.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import torch
from gan_helpers import tiny_set

from ganlab.config import config_from_dict, read_toml, validate_plugins
from ganlab.gan import GanTrainer
from ganlab.gan._compile import CompiledDiscriminator

QUICKSTART = Path(__file__).parents[2] / "studies" / "quickstart.toml"
LOSSES = ("bce", "hinge", "lsgan", "wgan_gp")
DISCRIMINATORS = {
    "dcgan-batchnorm": {"name": "dcgan", "ndf": 4},
    "dcgan-sn": {"name": "dcgan", "ndf": 4, "spectral_norm": True},
    "resnet": {"name": "resnet", "ndf": 4},
}
AUGMENTS = {"none": None, "diffaugment": {"name": "diffaugment"},
            "ada": {"name": "ada", "p": 0.3, "interval": 1}}
COMBOS = [  # the discriminator varies slowest: its graphs are compiled once per group
    (loss, disc, *rest) for disc, loss, *rest in itertools.product(
        DISCRIMINATORS, LOSSES, AUGMENTS, ("ema", "no-ema"), ("r1", "no-r1"), ("ac", "no-ac"))
]
_GROUP: list[str] = []  # the discriminator whose graphs dynamo holds


@pytest.fixture(scope="module", autouse=True)
def _no_silent_eager():
    with torch._dynamo.config.patch(fail_on_recompile_limit_hit=True):
        yield


def _study(loss: str, disc: str, aug: str, ema: str, r1: str, ac: str) -> dict:
    """quickstart.toml with the combination's ``[gan]`` keys, as the config check reads it."""
    raw = read_toml(QUICKSTART)
    gan = raw["gan"]
    for key in ("augment", "ema", "r1", "aux_classifier"):
        gan.pop(key, None)
    gan.update(generator={"name": "dcgan", "ngf": 4}, discriminator=DISCRIMINATORS[disc],
               loss={"name": loss}, nz=8, batch_size=8, n_critic=1, compile=True)
    if AUGMENTS[aug] is not None:
        gan["augment"] = AUGMENTS[aug]
    if ema == "ema":
        gan["ema"] = {"decay": 0.999}
    if r1 == "r1":
        gan["r1"] = {"gamma": 1.0, "every": 1}  # on every step
    if ac == "ac":
        gan["aux_classifier"] = {"weight": 1.0}
    return raw


@pytest.mark.slow
@pytest.mark.timeout(900)  # the first run of a group compiles (2-4 minutes on 2 busy cores)
@pytest.mark.parametrize("combo", COMBOS, ids=["-".join(c) for c in COMBOS])
def test_compiled_steps_train(combo: tuple[str, ...], tmp_path: Path) -> None:
    if _GROUP[-1:] != [combo[1]]:  # as in a fresh process: one discriminator's graphs
        torch._dynamo.reset()  # (the class head's compiled wrapper is one code object for all)
        _GROUP.append(combo[1])
    cfg = config_from_dict(_study(*combo), source=str(QUICKSTART))
    validate_plugins(cfg)  # the rest of `ganlab config check` for these keys
    trainer = GanTrainer(cfg.gan, tiny_set(n=8, size=32), out_dir=tmp_path, device="cpu",
                         seed=0)
    assert isinstance(trainer.d_run, CompiledDiscriminator)
    before = [p.detach().clone() for p in trainer.discriminator.parameters()]
    for _ in range(2):  # the second step runs the graphs the first one compiled
        out = trainer.train_step(torch.arange(8), g_turn=True)
    assert all(torch.isfinite(v).all() for v in out.values()), combo
    assert ("r1" in out) == (combo[4] == "r1") and ("aux_g" in out) == (combo[5] == "ac")
    after = list(trainer.discriminator.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(after, before, strict=True))


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_reduce_overhead_trains_on_the_cpu(tmp_path: Path) -> None:
    """``gan.compile = "reduce-overhead"``: CUDA graphs on a GPU, plain compile on the CPU."""
    raw = _study("hinge", "dcgan-sn", "diffaugment", "ema", "r1", "ac")
    raw["gan"]["compile"] = "reduce-overhead"
    cfg = config_from_dict(raw, source=str(QUICKSTART))
    torch._dynamo.reset()
    _GROUP.append("reduce-overhead")
    trainer = GanTrainer(cfg.gan, tiny_set(n=8, size=32), out_dir=tmp_path, device="cpu",
                         seed=0)
    for _ in range(2):
        out = trainer.train_step(torch.arange(8), g_turn=True)
    assert all(torch.isfinite(v).all() for v in out.values())
