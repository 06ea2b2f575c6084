"""Fixtures for the data tests: a tiny synthetic set and a folder of broken and odd files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from data_odd_files import odd_files

from ganlab.data import synthesize


@pytest.fixture(scope="session")
def synth_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synth") / "set"
    synthesize(root, 40, seed=3, image_size=32)
    return root


@pytest.fixture
def synth_root(synth_master: Path, tmp_path: Path) -> Path:
    """A private copy of a 40-image synthetic set (20 benign, 20 malignant, 32 px)."""
    root = tmp_path / "set"
    shutil.copytree(synth_master, root)
    return root


@pytest.fixture
def odd_root(tmp_path: Path) -> Path:
    """Two class folders, each holding every case of :func:`odd_files`."""
    root = tmp_path / "odd"
    for cls in ("benign", "malignant"):
        (root / cls).mkdir(parents=True)
        for name, data in odd_files().items():
            (root / cls / name).write_bytes(data)
    return root
