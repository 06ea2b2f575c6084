"""Classifier plugins beyond the generic contract: timm weights, GAN pretraining, freezing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import torch

from ganlab.errors import PluginError, WeightsError
from ganlab.registry import CLASSIFIERS, DISCRIMINATORS

STRUCT = {"num_classes": 2, "image_size": 32, "channels": 3}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_compact_cnn_shapes_and_bad_parameters() -> None:
    model = CLASSIFIERS.create("compact_cnn", **STRUCT, width=8, depth=3)
    assert model(torch.randn(4, 3, 32, 32)).shape == (4, 2)
    assert model(torch.randn(2, 3, 48, 48)).shape == (2, 2)  # global pooling: any size
    with pytest.raises(PluginError, match="too small for depth"):
        CLASSIFIERS.create("compact_cnn", **{**STRUCT, "image_size": 8}, depth=5)
    with pytest.raises(PluginError, match="dropout"):
        CLASSIFIERS.create("compact_cnn", **STRUCT, dropout=1.5)


def test_timm_pretrained_without_a_file_fails_fast_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    """HF_HUB_OFFLINE=1 (tests/conftest.py) and nothing cached: one quick line, no hub call."""
    import timm

    def no_hub(*args: object, **kwargs: object) -> None:
        raise AssertionError("timm.create_model reached: it would try the hub (47 s offline)")

    monkeypatch.setattr(timm, "create_model", no_hub)
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))  # an empty hub cache
    start = time.perf_counter()
    with pytest.raises(WeightsError, match=r"offline.*weights = \"PATH\".*pretrained = false"):
        CLASSIFIERS.create("timm", **STRUCT, model="resnet18", pretrained=True)
    assert time.perf_counter() - start < 5
    with pytest.raises(WeightsError, match="does not exist"):
        CLASSIFIERS.create("timm", **STRUCT, model="resnet18", weights="/no/such/file.pth")


def test_timm_unknown_model_suggests_names() -> None:
    with pytest.raises(PluginError, match="resnet18"):
        CLASSIFIERS.create("timm", **STRUCT, model="resnet-18")


def test_timm_loads_a_local_weights_file(tmp_path: Path) -> None:
    import timm

    source = timm.create_model("resnet18", num_classes=1000)
    path = tmp_path / "resnet18.pth"
    torch.save(source.state_dict(), path)
    model = CLASSIFIERS.create("timm", **STRUCT, model="resnet18", pretrained=True,
                               weights=str(path))
    assert torch.equal(model.conv1.weight, source.conv1.weight)
    assert model.fc.out_features == 2  # the ImageNet head is replaced
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 2)


def _gan_checkpoint(tmp_path: Path, *, image_size: int = 32) -> tuple[Path, torch.nn.Module]:
    """A real GAN checkpoint written by ganlab.gan (untrained networks, shapes are what count)."""
    from ganlab.gan import save_checkpoint
    from ganlab.registry import GENERATORS

    disc = DISCRIMINATORS.create("dcgan", image_size=image_size, channels=3, num_classes=2,
                                 ndf=8)
    gen = GENERATORS.create("dcgan", nz=16, image_size=image_size, channels=3, num_classes=2,
                            ngf=8)
    with torch.no_grad():
        for p in disc.parameters():
            p.add_(0.01)  # not the initialisation a fresh network would have
    meta = {"nz": 16, "image_size": image_size, "channels": 3, "num_classes": 2,
            "class_names": ["benign", "malignant"], "generator": {"name": "dcgan", "ngf": 8},
            "discriminator": {"name": "dcgan", "ndf": 8}}
    path = save_checkpoint(tmp_path / "gan.pt", {
        "generator": gen.state_dict(), "discriminator": disc.state_dict(), "g_optimizer": {},
        "d_optimizer": {}, "scaler": {}, "rng": {}, "epoch": 1, "history": [], "meta": meta,
    })
    return path, disc


def test_discriminator_trunk_is_initialised_from_the_gan_checkpoint(tmp_path: Path) -> None:
    path, disc = _gan_checkpoint(tmp_path)
    model = CLASSIFIERS.create("discriminator", **STRUCT, checkpoint=str(path))
    want = disc.state_dict()
    got = model.trunk.state_dict()
    assert set(want) - set(got) == {"embed.weight"}  # the GAN's class projection is left out
    for name, value in got.items():
        assert torch.equal(want[name], value), name
    x = torch.randn(4, 3, 32, 32)
    disc.eval(), model.eval()
    with torch.no_grad():  # the classifier reads the GAN's pooled features (DiscriminatorFeatures)
        pooled = disc.forward_with_features(x, torch.zeros(4, dtype=torch.long))[1]
        head = model.head[2]
        assert torch.allclose(model(x), pooled @ head.weight.T + head.bias, atol=1e-5)
    assert model.rebuild_params["checkpoint"] is None
    assert model.rebuild_params["discriminator"] == {"name": "dcgan", "ndf": 8}
    rebuilt = CLASSIFIERS.create("discriminator", **STRUCT, **model.rebuild_params)
    rebuilt.load_state_dict(model.state_dict())  # same architecture without the GAN file
    with pytest.raises(PluginError, match="image_size"):
        CLASSIFIERS.create("discriminator", **{**STRUCT, "image_size": 64},
                           checkpoint=str(path))


def _trunk_layout(state: dict) -> dict:
    """A state dict as the earlier layout saved it: ``trunk`` was the discriminator's
    ``features`` module, and the logit layer was not part of the classifier."""
    out = {}
    for key, value in state.items():
        if key.startswith("trunk.features."):
            out["trunk." + key[len("trunk.features."):]] = value
        elif not key.startswith("trunk."):
            out[key] = value
    return out


def test_discriminator_classifier_reads_checkpoints_of_the_trunk_layout() -> None:
    torch.manual_seed(0)
    saved = CLASSIFIERS.create("discriminator", **STRUCT,
                               discriminator={"name": "dcgan", "ndf": 8}).eval()
    rebuilt = CLASSIFIERS.create("discriminator", **STRUCT,
                                 discriminator={"name": "dcgan", "ndf": 8}).eval()
    rebuilt.load_state_dict(_trunk_layout(saved.state_dict()))
    x = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(rebuilt(x), saved(x))
    summed = CLASSIFIERS.create("discriminator", **STRUCT,
                                discriminator={"name": "resnet", "ndf": 4})
    with pytest.raises(PluginError, match="pools its features otherwise; retrain"):
        summed.load_state_dict(_trunk_layout(summed.state_dict()))


def test_discriminator_freezes_its_trunk_for_freeze_epochs() -> None:
    model = CLASSIFIERS.create("discriminator", **STRUCT, freeze_epochs=2,
                               discriminator={"name": "dcgan", "ndf": 8})
    model.on_epoch_start(0)
    assert not any(p.requires_grad for p in model.trunk.parameters())
    assert all(p.requires_grad for p in model.head.parameters())
    model(torch.randn(4, 3, 32, 32)).sum().backward()
    assert all(p.grad is None for p in model.trunk.parameters())
    model.on_epoch_start(2)
    assert all(p.requires_grad for p in model.trunk.parameters())


def test_timm_takes_dropout_like_every_classifier() -> None:
    model = CLASSIFIERS.create("timm", **STRUCT, model="resnet18", dropout=0.3)
    assert model.drop_rate == 0.3  # timm's own name for it
    old = CLASSIFIERS.create("timm", **STRUCT, model="resnet18", drop_rate=0.2)
    assert old.drop_rate == 0.2
    with pytest.raises(PluginError, match="keep only dropout"):
        CLASSIFIERS.create("timm", **STRUCT, model="resnet18", dropout=0.1, drop_rate=0.2)
    assert "dropout" in CLASSIFIERS.search_space("timm")
