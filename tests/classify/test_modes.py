"""Training data modes with a real conditional GAN checkpoint, and GAN pretraining."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ganlab.classify import (
    SynthesisRun,
    build_strategy,
    plan_stages,
    synthesis_ref,
    synthesize,
    train_classifier,
)
from ganlab.config import PluginRef
from ganlab.errors import ConfigError

CPU = torch.device("cpu")


def test_synthesis_is_class_balanced_and_seeded(gan_checkpoint: Path) -> None:
    names = ("benign", "malignant")
    a, la = synthesize(gan_checkpoint, 10, image_size=16, class_names=names, device=CPU, seed=3)
    b, _ = synthesize(gan_checkpoint, 10, image_size=16, class_names=names, device=CPU, seed=3)
    c, _ = synthesize(gan_checkpoint, 10, image_size=16, class_names=names, device=CPU, seed=4)
    assert a.shape == (10, 3, 16, 16) and a.dtype == torch.uint8
    assert la.tolist() == [0, 1] * 5
    assert torch.equal(a, b) and not torch.equal(a, c)
    with pytest.raises(ConfigError, match="32 px"):
        synthesize(gan_checkpoint, 4, image_size=32, class_names=names, device=CPU, seed=0)
    with pytest.raises(ConfigError, match="same image set"):
        synthesize(gan_checkpoint, 4, image_size=16, class_names=("nevus", "melanoma"),
                   device=CPU, seed=0)


def context(data, gan_checkpoint: Path | None, seed: int = 0) -> SynthesisRun:
    def no_reference():
        raise AssertionError("mix needs no real-data classifier")

    return SynthesisRun(data.train.images, data.train.labels, class_names=data.class_names,
                        generator_checkpoint=gan_checkpoint, device=CPU, seed=seed,
                        reference=no_reference)


def stage_of(cfg, data, gan_checkpoint: Path | None, seed: int = 0):
    (stage,) = plan_stages(build_strategy(synthesis_ref(cfg)), context(data, gan_checkpoint, seed))
    return stage


def test_mode_sizes(make_cfg, data, gan_checkpoint: Path) -> None:
    def build(**changes):
        return stage_of(make_cfg(**changes), data, gan_checkpoint).record()

    real = build(mode="real")
    assert (real["n_train"], real["n_synthetic"]) == (64, 0)
    control = build(mode="real+synthetic", synthetic_ratio=0.0)
    assert (control["n_train"], control["n_synthetic"]) == (64, 0)
    mixed = stage_of(make_cfg(mode="real+synthetic", synthetic_ratio=0.5), data, gan_checkpoint)
    assert (len(mixed.labels), mixed.n_synthetic) == (96, 32)
    assert torch.equal(mixed.images[:64], data.train.images)
    assert mixed.record()["synthetic_per_label"] == [16, 16]
    synthetic = build(mode="synthetic")
    assert (synthetic["n_train"], synthetic["n_synthetic"]) == (64, 64)


def test_synthetic_modes_need_a_checkpoint(make_cfg, data, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs a GAN checkpoint") as err:
        train_classifier(make_cfg(mode="synthetic"), data, out_dir=tmp_path, device=CPU, seed=0)
    assert err.value.paths == ("generator_checkpoint",)  # the CLI shows its --gan-checkpoint


def test_synthetic_only_trains_and_tests_on_real(make_cfg, data, gan_checkpoint: Path,
                                                 tmp_path: Path) -> None:
    result = train_classifier(make_cfg(mode="synthetic", epochs=1), data, out_dir=tmp_path,
                              device=CPU, seed=0, generator_checkpoint=gan_checkpoint)
    proto = result.metrics["protocol"]
    assert (proto["n_train_real"], proto["n_train_synthetic"]) == (0, 64)
    assert proto["generator_checkpoint"] == str(gan_checkpoint)
    test_cm = result.metrics["confusion_matrix"]["test"]
    assert sum(map(sum, test_cm)) == len(data.test.labels)  # scored on the real test set


def test_discriminator_classifier_is_pretrained_from_the_trial_gan(
    make_cfg, data, gan_checkpoint: Path, tmp_path: Path
) -> None:
    from ganlab.classify import load_classifier
    from ganlab.gan import load_discriminator

    cfg = make_cfg(model=PluginRef("discriminator", {"freeze_epochs": 1}), epochs=1)
    result = train_classifier(cfg, data, out_dir=tmp_path, device=CPU, seed=0,
                              generator_checkpoint=gan_checkpoint)
    model, meta = load_classifier(result.checkpoint)  # rebuilt without the GAN file
    assert "checkpoint" not in meta["classifier"]
    assert meta["classifier"]["discriminator"] == {"name": "dcgan", "ndf": 8}
    disc, _ = load_discriminator(gan_checkpoint)
    first = next(iter(disc.state_dict()))
    # trunk frozen during the only epoch: still the GAN's weights
    assert torch.equal(model.trunk.state_dict()[first], disc.state_dict()[first])


def test_refresh_draws_new_synthetic_images_each_epoch(make_cfg, data,
                                                       gan_checkpoint: Path) -> None:
    cfg = make_cfg(mode="real+synthetic", synthetic_ratio=0.5, synthetic_refresh="epoch")
    train = stage_of(cfg, data, gan_checkpoint, seed=5)
    refresh = train.refresh
    first, first_y = refresh(0)
    second, second_y = refresh(1)
    assert torch.equal(first, train.images) and torch.equal(first_y, train.labels)
    assert second.shape == first.shape and torch.equal(second_y, first_y)
    assert torch.equal(second[:64], data.train.images)  # the real part stays
    assert not torch.equal(second[64:], first[64:])  # the synthetic part is drawn anew
    assert torch.equal(refresh(1)[0], second)  # a pure function of the epoch


class _Stop(Exception):
    pass


def test_refreshed_synthetic_training_resumes_exactly(make_cfg, data, gan_checkpoint: Path,
                                                      tmp_path: Path) -> None:
    cfg = make_cfg(mode="synthetic", synthetic_refresh="epoch", epochs=3, patience=0)

    def stop_after_first(epoch: int, _metrics: dict) -> None:
        if epoch == 1:
            raise _Stop

    with pytest.raises(_Stop):
        train_classifier(cfg, data, out_dir=tmp_path / "cut", device=CPU, seed=2,
                         generator_checkpoint=gan_checkpoint, report=stop_after_first)
    resumed = train_classifier(cfg, data, out_dir=tmp_path / "cut", device=CPU, seed=2,
                               generator_checkpoint=gan_checkpoint, resume=True)
    straight = train_classifier(cfg, data, out_dir=tmp_path / "straight", device=CPU, seed=2,
                                generator_checkpoint=gan_checkpoint)
    once = train_classifier(make_cfg(mode="synthetic", epochs=3, patience=0), data,
                            out_dir=tmp_path / "once", device=CPU, seed=2,
                            generator_checkpoint=gan_checkpoint)
    assert resumed.metrics["protocol"]["resumed_at_epoch"] == 1
    assert resumed.metrics["protocol"]["synthetic_refresh"] == "epoch"
    a, b, c = (torch.load(r.checkpoint, weights_only=True)["model"]
               for r in (resumed, straight, once))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(b[k], c[k]) for k in b)  # refreshing changed what was learnt
