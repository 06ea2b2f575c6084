"""Synthesis strategies (classifier.synthesis) trained end to end on tiny data and a tiny GAN."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from ganlab.classify import train_classifier
from ganlab.config import PluginRef
from ganlab.errors import ConfigError

CPU = torch.device("cpu")


def _weights(result) -> dict:
    return torch.load(result.checkpoint, weights_only=True)["model"]


def test_mix_is_what_mode_and_ratio_meant(make_cfg, data, gan_checkpoint: Path,
                                          tmp_path: Path) -> None:
    old = train_classifier(make_cfg(mode="real+synthetic", synthetic_ratio=0.5), data,
                           out_dir=tmp_path / "old", device=CPU, seed=1,
                           generator_checkpoint=gan_checkpoint)
    new = train_classifier(make_cfg(synthesis=PluginRef("mix", {"ratio": 0.5})), data,
                           out_dir=tmp_path / "new", device=CPU, seed=1,
                           generator_checkpoint=gan_checkpoint)
    a, b = _weights(old), _weights(new)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert old.metrics["protocol"]["synthesis"] == {"name": "mix", "ratio": 0.5,
                                                    "refresh": "once", "real": True}
    assert new.metrics["protocol"]["n_train_synthetic"] == 32


class _Stop(Exception):
    pass


def test_pretrain_then_fine_tune_resumes_exactly(make_cfg, data, gan_checkpoint: Path,
                                                 tmp_path: Path) -> None:
    cfg = make_cfg(synthesis=PluginRef("pretrain", {"n": 40, "epochs": 2}), epochs=2)

    def stop(epoch: int, _metrics: dict) -> None:
        if epoch == 1:
            raise _Stop

    with pytest.raises(_Stop):
        train_classifier(cfg, data, out_dir=tmp_path / "cut", device=CPU, seed=3,
                         generator_checkpoint=gan_checkpoint, report=stop)
    resumed = train_classifier(cfg, data, out_dir=tmp_path / "cut", device=CPU, seed=3,
                               generator_checkpoint=gan_checkpoint, resume=True)
    straight = train_classifier(cfg, data, out_dir=tmp_path / "straight", device=CPU, seed=3,
                                generator_checkpoint=gan_checkpoint)
    real = train_classifier(make_cfg(epochs=2), data, out_dir=tmp_path / "real", device=CPU,
                            seed=3)
    a, b, c = _weights(resumed), _weights(straight), _weights(real)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(b[k], c[k]) for k in b)  # pre-training changed the model
    proto = straight.metrics["protocol"]
    assert [(s["n_train"], s["n_synthetic"], s["epochs"]) for s in proto["stages"]] == [
        (40, 40, 2), (64, 0, None)]
    assert (proto["n_train_real"], proto["n_train_synthetic"]) == (64, 40)
    assert (tmp_path / "straight" / "stage-1" / "checkpoint.pt").is_file()
    assert resumed.metrics["protocol"]["resumed_at_epoch"] == 1


def test_filter_keeps_what_the_real_classifier_trusts(make_cfg, data, gan_checkpoint: Path,
                                                      tmp_path: Path) -> None:
    def stage(tau: float, delta: float, name: str) -> dict:
        cfg = make_cfg(synthesis=PluginRef("filter", {"ratio": 0.5, "tau": tau,
                                                       "delta": delta}), epochs=1)
        result = train_classifier(cfg, data, out_dir=tmp_path / name, device=CPU, seed=0,
                                  generator_checkpoint=gan_checkpoint)
        return result.metrics["protocol"]["stages"][0]

    everything = stage(0.0, 0.0, "all")
    assert (everything["candidates"], everything["kept"], everything["n_synthetic"]) == (
        64, 32, 32)
    assert everything["synthetic_per_label"] == [16, 16]
    assert (tmp_path / "all" / "reference" / "model.pt").is_file()  # the real-data classifier
    assert (tmp_path / "all" / "synthesis-kept.png").is_file()  # a grid of what it kept
    assert not (tmp_path / "all" / "synthesis-dropped.png").exists()  # and it dropped none
    strict = stage(0.9, 0.0, "strict")
    assert (tmp_path / "strict" / "synthesis-dropped.png").is_file()
    assert strict["kept"] == strict["n_synthetic"] <= strict["confident"] <= 64
    assert strict["confident"] < everything["confident"]
    far = stage(0.0, 2.1, "far")  # unit features are never 2.1 apart: all too near
    assert (far["too_near"], far["n_synthetic"], far["n_train"]) == (64, 0, 64)


def test_filter_by_the_gan_class_head(make_cfg, data, gan_checkpoint: Path,
                                      tmp_path: Path) -> None:
    cfg = make_cfg(synthesis=PluginRef("filter", {"tau": 0.0, "source": "gan"}), epochs=1)
    with pytest.raises(ConfigError, match="has no class head; .*gan.aux_classifier"):
        train_classifier(cfg, data, out_dir=tmp_path / "x", device=CPU, seed=0,
                         generator_checkpoint=gan_checkpoint)


def test_class_strategy_synthesises_chosen_classes(make_cfg, data, gan_checkpoint: Path,
                                                   tmp_path: Path) -> None:
    def stage(params: dict, name: str) -> dict:
        cfg = make_cfg(synthesis=PluginRef("class", params), epochs=1)
        result = train_classifier(cfg, data, out_dir=tmp_path / name, device=CPU, seed=0,
                                  generator_checkpoint=gan_checkpoint)
        return result.metrics["protocol"]["stages"][0]

    assert stage({"ratio": 0.5}, "pos")["synthetic_per_label"] == [0, 16]  # 32 malignant
    assert stage({"classes": ["benign"]}, "neg")["synthetic_per_label"] == [32, 0]
    assert stage({"ratios": [0.25, 1.0]}, "both")["synthetic_per_label"] == [8, 32]
    with pytest.raises(ConfigError, match="are not classes of the data"):
        stage({"classes": ["nevus"]}, "bad")


def test_a_strategy_needs_a_checkpoint(make_cfg, data, tmp_path: Path) -> None:
    cfg = make_cfg(synthesis=PluginRef("pretrain", {"n": 8, "epochs": 1}))
    with pytest.raises(ConfigError, match="needs a GAN checkpoint") as err:
        train_classifier(cfg, data, out_dir=tmp_path, device=CPU, seed=0)
    assert err.value.paths == ("generator_checkpoint",)
    assert not json.dumps([str(p) for p in tmp_path.iterdir()]).count("model.pt")


def test_the_steps_control_repeats_real_images(make_cfg, data, tmp_path: Path) -> None:
    cfg = make_cfg(synthesis=PluginRef("mix", {"ratio": 1.5, "repeat_real": True}), epochs=1)
    result = train_classifier(cfg, data, out_dir=tmp_path, device=CPU, seed=0)  # no GAN
    proto = result.metrics["protocol"]
    (stage,) = proto["stages"]
    assert (stage["n_train"], stage["n_synthetic"], stage["repeated_real"]) == (160, 0, 96)
    assert proto["generator_checkpoint"] is None
    assert result.history[0]["img_per_s"] > 0


@pytest.fixture(scope="module")
def ac_gan_checkpoint(tmp_path_factory, make_data) -> Path:
    """A one-epoch class-conditional DCGAN with an AC class head (gan.aux_classifier)."""
    from ganlab.config import AuxClassifierConfig, FidConfig, GanConfig
    from ganlab.gan import train_gan

    cfg = GanConfig(generator=PluginRef("dcgan", {"ngf": 8}),
                    discriminator=PluginRef("dcgan", {"ndf": 8}), nz=16, batch_size=32,
                    epochs=1, sample_every=1, fid=FidConfig(enabled=False),
                    aux_classifier=AuxClassifierConfig(weight=1.0))
    train = make_data(tmp_path_factory.mktemp("acdata")).train
    return train_gan(cfg, train, out_dir=tmp_path_factory.mktemp("acgan"),
                     device=CPU, seed=0, resume=False).checkpoint


def test_filter_by_the_gan_class_head_keeps_by_tau(make_cfg, data, ac_gan_checkpoint: Path,
                                                   tmp_path: Path) -> None:
    def stage(tau: float) -> dict:
        cfg = make_cfg(synthesis=PluginRef("filter", {"ratio": 0.5, "tau": tau,
                                                       "source": "gan"}), epochs=1)
        result = train_classifier(cfg, data, out_dir=tmp_path / str(tau), device=CPU, seed=0,
                                  generator_checkpoint=ac_gan_checkpoint)
        assert not (tmp_path / str(tau) / "reference").exists()  # no real-data classifier
        return result.metrics["protocol"]["stages"][0]

    loose, strict = stage(0.0), stage(0.6)
    assert (loose["confident"], loose["n_synthetic"]) == (64, 32)
    assert strict["confident"] < 64 and strict["n_synthetic"] <= 32
