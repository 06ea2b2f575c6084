"""Tiny real study files for the study tests (16 px synthetic images, tiny networks)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

TINY = """
[study]
name = "{name}"
output = "{output}"
n_trials = {n_trials}
device = "cpu"
sampler = {sampler}
pruner = {{name = "none"}}

[data]
root = "{data}"
synth = {{n = 60, image_size = 20, seed = 0}}
image_size = 16
filters = [{{name = "resize", size = 16}}]
workers = 1

[gan]
enabled = {gan}
generator = {{name = "dcgan", ngf = 8}}
discriminator = {{name = "dcgan", ndf = 8}}
nz = 16
epochs = 1
batch_size = 32
fid = {{enabled = false}}

[classifier]
model = {{name = "compact_cnn", width = 8, depth = 3}}
epochs = {epochs}
patience = 0
batch_size = 32
mode = "{mode}"
synthetic_ratio = 0.5
bootstrap = 20
"""

SEARCH = """
[search]
"classifier.optimizer.lr" = {type = "float", low = 1e-4, high = 1e-2, log = true}
"""


@pytest.fixture(scope="session")
def synth_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One synthetic image set shared by every study test (generated on first use)."""
    return tmp_path_factory.mktemp("synth-data") / "synth"


@pytest.fixture
def write_study(tmp_path: Path, synth_root: Path) -> Callable[..., Path]:
    """Write a tiny study file; keyword arguments fill the template, ``extra`` is appended."""

    def write(
        name: str = "tiny",
        *,
        n_trials: int = 2,
        gan: bool = False,
        mode: str = "real",
        epochs: int = 1,
        sampler: str = '{name = "tpe"}',
        search: str = SEARCH,
        extra: str = "",
        output: Path | None = None,
    ) -> Path:
        text = TINY.format(
            name=name, output=output or tmp_path / "runs", n_trials=n_trials, data=synth_root,
            gan=str(gan).lower(), mode=mode, epochs=epochs, sampler=sampler,
        )
        path = tmp_path / f"{name}.toml"
        path.write_text(text + search + extra)
        return path

    return write


def run_cli_subprocess(*args: str, cwd: Path | None = None, **kw):
    """Start ``python -m ganlab ARGS`` with the test environment (offline, 1 thread)."""
    import subprocess

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    return subprocess.Popen([sys.executable, "-m", "ganlab", *args], cwd=cwd, env=env, **kw)
