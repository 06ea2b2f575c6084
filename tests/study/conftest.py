"""Tiny real study files for the study tests (16 px synthetic images, tiny networks)."""

from __future__ import annotations

from collections.abc import Callable
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
