"""Light entry points stay light: ``ganlab --help`` and every command's help load no torch,
OpenCV or Optuna, and ``import ganlab.study`` (behind ``study list``, ``show``, ``report``)
loads neither torch nor OpenCV. Each check runs in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("torch", "cv2", "optuna", "timm")


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(set(sys.modules))))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, env={"PATH": "", "HF_HUB_OFFLINE": "1"})
    return set(out.stdout.split())


@pytest.mark.parametrize("args", [["--help"], ["study", "--help"], ["study", "run", "--help"],
                                  ["gan", "train", "--help"], ["classify", "--help"]])
def test_help_loads_no_heavy_library(args: list[str]) -> None:
    loaded = _loaded_after("from typer.testing import CliRunner\nfrom ganlab.cli import app\n"
                           f"assert CliRunner().invoke(app, {args!r}).exit_code == 0")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_importing_the_study_package_loads_neither_torch_nor_opencv() -> None:
    loaded = _loaded_after("import ganlab.study")
    assert not loaded & {"torch", "cv2"}, sorted(loaded & {"torch", "cv2"})


def test_a_command_loads_what_it_uses() -> None:
    loaded = _loaded_after("from typer.testing import CliRunner\nfrom ganlab.cli import app\n"
                           "CliRunner().invoke(app, ['study', 'list', '-o', '/nonexistent'])")
    assert "ganlab.study" in loaded and "torch" not in loaded
