"""The GPU path, checked on the CPU where it can be: device-independent resume, compile with a
gradient penalty, linear history writes, fused Adam; GPU-only checks are marked."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from ganlab.config import EmaConfig, PluginRef
from ganlab.gan import GanTrainer, train_gan
from ganlab.gan import _trainer as trainer_module
from ganlab.gan._rng import capture_rng, restore_rng
from ganlab.gan._steps import d_step

CPU = torch.device("cpu")


class _OtherDevice:
    """A tensor as a checkpoint loaded onto another device returns it: usable only after .cpu()."""

    def __init__(self, tensor: torch.Tensor) -> None:
        self._t = tensor

    def cpu(self) -> torch.Tensor:
        return self._t


def test_rng_restore_accepts_states_from_another_device() -> None:
    state = capture_rng()
    expected = torch.rand(3)
    state["torch"] = _OtherDevice(state["torch"])
    state["python"][1] = _OtherDevice(state["python"][1])
    state["numpy"][1] = _OtherDevice(state["numpy"][1])
    restore_rng(state)
    assert torch.equal(torch.rand(3), expected)


def test_resume_loads_to_the_cpu_and_places_tensors(make_cfg, train_set, tmp_path,
                                                    monkeypatch) -> None:
    train_gan(make_cfg(epochs=1), train_set, out_dir=tmp_path, device=CPU, seed=0)
    seen = []
    real_read = trainer_module.read_checkpoint

    def spy(path, *, map_location="cpu"):
        seen.append(map_location)
        return real_read(path, map_location=map_location)

    monkeypatch.setattr(trainer_module, "read_checkpoint", spy)
    trainer = GanTrainer(make_cfg(epochs=2), train_set, out_dir=tmp_path, device=CPU, seed=0)
    assert trainer.resume() and seen == ["cpu"]
    steps = [s["step"] for s in trainer.d_opt.state_dict()["state"].values()]
    assert steps and all(t.device.type == "cpu" for t in steps)  # Adam's step stays on the CPU


@pytest.mark.slow
def test_compile_with_a_gradient_penalty_uses_the_uncompiled_module() -> None:
    from ganlab_plugins.losses import wgan_gp

    from ganlab.gan._build import build_discriminator

    torch._dynamo.reset()
    d = build_discriminator(PluginRef("dcgan", {"ndf": 4, "norm": "none"}), image_size=16,
                            channels=3, num_classes=0)
    compiled = torch.compile(d, backend="aot_eager")
    args = dict(loss=wgan_gp(), optimizer=torch.optim.SGD(d.parameters(), 0.01),
                real=torch.rand(4, 3, 16, 16), fake=torch.rand(4, 3, 16, 16), labels=None)
    with pytest.raises(Exception, match="double backward"):  # the bug, without the fix
        d_step(discriminator=compiled, **args)
    out = d_step(discriminator=compiled, penalty_discriminator=d, r1_weight=1.0, **args)
    assert torch.isfinite(out["d_loss"]) and torch.isfinite(out["r1"])


def test_history_writes_stay_linear_in_epochs(make_cfg, train_set, tmp_path,
                                              monkeypatch) -> None:
    written: list[int] = []
    real_write = trainer_module.atomic_write_json

    def count(path, value):
        written.append(len(json.dumps(value)))
        return real_write(path, value)

    monkeypatch.setattr(trainer_module, "atomic_write_json", count)
    sizes = {}
    for epochs in (1, 3):
        written.clear()
        train_gan(make_cfg(epochs=epochs, sample_every=100), train_set,
                  out_dir=tmp_path / str(epochs), device=CPU, seed=0)
        jsonl = (tmp_path / str(epochs) / "history.jsonl").read_text()
        sizes[epochs] = sum(written) + len(jsonl)
        assert len(jsonl.splitlines()) == epochs and len(written) == 2  # history + metrics
    assert sizes[3] < 3.6 * sizes[1]  # linear: 3x (plus the fixed metrics file); quadratic: 9x


def test_history_log_is_cut_back_to_the_checkpoint_on_resume(make_cfg, train_set,
                                                             tmp_path) -> None:
    train_gan(make_cfg(epochs=2, checkpoint_every=2), train_set, out_dir=tmp_path, device=CPU,
              seed=0)
    log = tmp_path / "history.jsonl"
    log.write_text(log.read_text() + json.dumps({"epoch": 3}) + "\n")  # an epoch after a kill
    train_gan(make_cfg(epochs=3), train_set, out_dir=tmp_path, device=CPU, seed=0)
    assert [json.loads(x)["epoch"] for x in log.read_text().splitlines()] == [1, 2, 3]


def test_adam_is_fused_only_on_gpu_parameters() -> None:
    from ganlab_plugins.optimizers import adam, adamw

    params = [torch.nn.Parameter(torch.zeros(2))]
    assert not adam(params).defaults.get("fused")
    assert not adamw(params).defaults.get("fused")


# -- on a GPU -------------------------------------------------------------------------------------
@pytest.mark.gpu
def test_gpu_bf16_step_with_data_efficient_options(make_cfg, train_set, tmp_path) -> None:
    cuda = torch.device("cuda")
    cfg = make_cfg(epochs=1, amp="bf16", augment=PluginRef("diffaugment"), ema=EmaConfig())
    result = train_gan(cfg, train_set, out_dir=tmp_path, device=cuda, seed=0)
    assert all(torch.isfinite(torch.tensor(result.history[0][k])) for k in ("d_loss", "g_loss"))
    trainer = GanTrainer(cfg, train_set, out_dir=tmp_path / "t", device=cuda, seed=0)
    assert all(g["fused"] for g in trainer.g_opt.param_groups)


@pytest.mark.gpu
@pytest.mark.slow
def test_gpu_kill_and_resume(tmp_path) -> None:
    """A real `ganlab gan train` on CUDA killed mid-run resumes from its checkpoint."""
    study = tmp_path / "s.toml"
    study.write_text(
        '[study]\nname = "k"\noutput = "runs"\ndevice = "cuda"\n'
        '[data]\nroot = "data"\nsynth = {n = 64, image_size = 32}\nimage_size = 32\n'
        'filters = [{name = "resize", size = 32}]\n'
        '[gan]\ngenerator = {name = "dcgan", ngf = 8}\ndiscriminator = {name = "dcgan", ndf = 8}\n'
        'batch_size = 16\nepochs = 400\nsample_every = 1000\nema = {decay = 0.99}\n'
        'fid = {enabled = false}\n'
    )
    cmd = [sys.executable, "-m", "ganlab", "gan", "train", str(study), "--out", "g"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, start_new_session=True)
    ckpt = tmp_path / "g" / "checkpoint.pt"
    deadline = time.time() + 120
    while not ckpt.exists() and time.time() < deadline:
        time.sleep(0.5)
    time.sleep(2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = subprocess.run([*cmd, "--epochs", "402"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert torch.load(ckpt, weights_only=True, map_location="cpu")["epoch"] == 402
