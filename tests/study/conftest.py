"""Tiny real study files for the study tests (16 px synthetic images, tiny networks)."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from study_helpers import SEARCH, TINY


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


@pytest.fixture
def mount_tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """``mount_tmpfs("16m")`` mounts a tmpfs of that size of our own and returns its folder
    (root can write anywhere else, so a full or read-only disk needs a mount); the test is
    skipped where mounting is not allowed. Every mount is undone after the test."""
    points: list[Path] = []

    def mount(size: str) -> Path:
        point = tmp_path / f"tmpfs-{uuid.uuid4().hex[:6]}"
        point.mkdir()
        made = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                               str(point)], capture_output=True)
        if made.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
        points.append(point)
        return point

    try:
        yield mount
    finally:
        for point in reversed(points):
            subprocess.run(["umount", "-l", str(point)], check=False)
