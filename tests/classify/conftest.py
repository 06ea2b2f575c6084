"""Tiny, learnable image sets for classifier tests (16 px, positives carry a red square)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ganlab.config import ClassifierConfig, PluginRef
from ganlab.data import ImageSet, PreparedData

CLASSES = ("benign", "malignant")


def tiny_set(n: int, seed: int, split: str, *, size: int = 16) -> ImageSet:
    """``n`` noisy images, half of them positives with a brighter red square."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 2
    images = torch.randint(60, 140, (n, 3, size, size), generator=g)
    lo, hi = size // 4, 3 * size // 4
    images[labels == 1, 0, lo:hi, lo:hi] += 90
    ids = [f"{CLASSES[int(y)]}/{split}_{i}.png" for i, y in enumerate(labels)]
    return ImageSet(images.clamp(0, 255).to(torch.uint8), labels, ids, ids, CLASSES)


def tiny_data(tmp_path: Path, *, n_train: int = 64, n_eval: int = 32) -> PreparedData:
    """Train/val/test splits of :func:`tiny_set` with a protocol naming a resize filter."""
    return PreparedData(
        tiny_set(n_train, 0, "train"), tiny_set(n_eval, 1, "val"), tiny_set(n_eval, 2, "test"),
        CLASSES, tmp_path / "split.csv",
        {"filters": [{"name": "resize", "params": {"size": 16}}], "image_size": 16},
    )


def tiny_cfg(**changes: object) -> ClassifierConfig:
    """A classifier config that trains in about a second on :func:`tiny_data`."""
    base = dict(
        model=PluginRef("compact_cnn", {"width": 8, "depth": 2}),
        optimizer=PluginRef("adam", {"lr": 3e-3}),
        epochs=2, batch_size=16, bootstrap=100, patience=0, augment=False,
    )
    base.update(changes)
    return ClassifierConfig(**base)  # type: ignore[arg-type]


@pytest.fixture
def data(tmp_path: Path) -> PreparedData:
    return tiny_data(tmp_path)


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread: None) -> None:
    """Every test here runs on one torch thread (``one_torch_thread`` in tests/conftest.py)."""


@pytest.fixture(scope="session")
def make_data():
    """:func:`tiny_data` as a fixture."""
    return tiny_data


@pytest.fixture(scope="session")
def make_cfg():
    """:func:`tiny_cfg` as a fixture."""
    return tiny_cfg


@pytest.fixture(scope="session")
def gan_checkpoint(tmp_path_factory) -> Path:
    """A class-conditional DCGAN trained for one epoch on 16 px images by ganlab.gan."""
    from ganlab.config import FidConfig, GanConfig
    from ganlab.gan import train_gan

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    cfg = GanConfig(generator=PluginRef("dcgan", {"ngf": 8}),
                    discriminator=PluginRef("dcgan", {"ndf": 8}), nz=16, batch_size=32,
                    epochs=1, sample_every=1, fid=FidConfig(enabled=False))
    result = train_gan(cfg, tiny_set(64, 0, "train"), out_dir=tmp_path_factory.mktemp("gan"),
                       device=torch.device("cpu"), seed=0, resume=False)
    torch.set_num_threads(before)
    return result.checkpoint
