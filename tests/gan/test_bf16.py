"""bf16 autocast on the CPU: the ``cpu-gan-ac`` recipe in small (ResNet conditional-BatchNorm
generator, spectral-norm D, DiffAugment, EMA, class head) and the paper's BatchNorm DCGAN train,
resume bit-identically, save every tensor in fp32, sample, and record their precision."""

from __future__ import annotations

import json

import pytest
import torch
from gan_helpers import straight_and_resumed

from ganlab.config import AuxClassifierConfig, EmaConfig, PluginRef
from ganlab.data import ImageSet
from ganlab.gan import GanTrainer, generate, load_generator, sample_to_folder, train_gan

CPU = torch.device("cpu")
AC_BF16 = {
    "generator": PluginRef("resnet", {"ngf": 8}),
    "loss": PluginRef("hinge"),
    "discriminator": PluginRef("dcgan", {"ndf": 8, "spectral_norm": True}),
    "augment": PluginRef("diffaugment"),
    "ema": EmaConfig(decay=0.999),
    "aux_classifier": AuxClassifierConfig(weight=1.0),
    "amp": "bf16",
}


@pytest.fixture
def train_set(train_set: ImageSet) -> ImageSet:
    """16 images of the tiny set at 32 px, the resnet generator's smallest size."""
    big = train_set.images[:16].repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
    return ImageSet(big, train_set.labels[:16], train_set.paths[:16], train_set.ids[:16],
                    train_set.class_names)


def _floats(value: object) -> list[torch.Tensor]:
    """Every floating-point tensor inside nested dicts and lists."""
    if isinstance(value, torch.Tensor):
        return [value] if value.is_floating_point() else []
    if isinstance(value, dict):
        return [t for v in value.values() for t in _floats(v)]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _floats(v)]
    return []


@pytest.mark.parametrize("recipe", [AC_BF16, {"amp": "bf16"}], ids=["cpu-gan-ac", "paper"])
def test_bf16_run_resumes_bit_identically_and_saves_fp32(recipe, make_cfg, train_set,
                                                          tmp_path) -> None:
    cfg = make_cfg(**recipe)
    s, r, a, b = straight_and_resumed(cfg, train_set, tmp_path)
    for key in ("generator", "discriminator", "ema", "aux_head", "g_optimizer", "d_optimizer"):
        assert all(t.dtype == torch.float32 for t in _floats(a[key])), key
        pairs = zip(_floats(a[key]), _floats(b[key]), strict=True)
        assert all(torch.equal(x, y) for x, y in pairs), key
    assert [h["d_loss"] for h in s.history] == [h["d_loss"] for h in r.history]
    assert all(torch.isfinite(torch.tensor(h["g_loss"])) for h in s.history)
    assert a["precision"] == {"amp": "bf16", "setting": "bf16", "reason": "asked for"}
    assert json.loads((tmp_path / "s" / "metrics.json").read_text())["precision"]["amp"] == "bf16"


def test_bf16_trainer_keeps_batchnorm_and_ema_state_in_fp32(make_cfg, train_set,
                                                             tmp_path) -> None:
    trainer = GanTrainer(make_cfg(**AC_BF16), train_set, out_dir=tmp_path, device=CPU, seed=0)
    trainer.train_epoch()
    assert trainer.amp_dtype is torch.bfloat16
    for net in (trainer.generator, trainer.discriminator, trainer.ema.module):
        assert all(t.dtype == torch.float32 for t in _floats(net.state_dict()))
    samples = trainer.fixed_samples()
    assert samples.dtype == torch.uint8 and samples.float().std() > 0


def test_a_bf16_checkpoint_samples_and_says_how_it_was_trained(make_cfg, train_set,
                                                               tmp_path) -> None:
    result = train_gan(make_cfg(epochs=1, **AC_BF16), train_set, out_dir=tmp_path, device=CPU,
                       seed=0)
    g, meta = load_generator(result.checkpoint)
    assert meta["precision"]["amp"] == "bf16"
    images = generate(g, 4, nz=meta["nz"], labels=torch.tensor([0, 1, 0, 1]), device=CPU, seed=0)
    assert images.dtype == torch.uint8 and images.shape == (4, 3, 32, 32)
    written = sample_to_folder(result.checkpoint, 2, out_dir=tmp_path / "png", seed=0)
    assert sum(len(paths) for paths in written.values()) == 4
