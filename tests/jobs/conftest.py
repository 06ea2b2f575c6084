"""A tiny study file on a synthetic image set (16 px, tiny networks) for the job tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from jobs_helpers import TINY_JOBS


@pytest.fixture(scope="session")
def jobs_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One synthetic image set shared by the job tests (generated on first use)."""
    return tmp_path_factory.mktemp("jobs-data") / "synth"


@pytest.fixture
def study_file(tmp_path: Path, jobs_data: Path) -> Callable[..., Path]:
    """``study_file(name, n_trials=1, extra="")``: write a tiny study file, return its path."""

    def write(name: str = "jobs", *, n_trials: int = 1, extra: str = "") -> Path:
        path = tmp_path / f"{name}.toml"
        path.write_text(TINY_JOBS.format(name=name, output=tmp_path / "runs",
                                         n_trials=n_trials, data=jobs_data) + extra)
        return path

    return write
