"""docs/cli.md is generated from the Typer command tree and must match it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer.main

import ganlab.cli

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "cli.md"
SCRIPT = ROOT / "docs" / "gen_cli_reference.sh"
REGENERATE = "run `bash docs/gen_cli_reference.sh` to regenerate it"


def _generate(out: Path) -> str:
    done = subprocess.run(
        ["bash", str(SCRIPT), str(out)], capture_output=True, text=True,
        env={**os.environ, "PYTHON": sys.executable}, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return out.read_text(encoding="utf-8")


def _commands(cmd, prefix: str) -> list[str]:
    """Full names of every command below ``cmd`` (``ganlab study run``, ...)."""
    sub = getattr(cmd, "commands", {})
    out = [prefix]
    for name, child in sub.items():
        out += _commands(child, f"{prefix} {name}")
    return out


def test_cli_reference_is_current(tmp_path: Path) -> None:
    fresh = _generate(tmp_path / "cli.md")
    assert DOC.is_file(), f"docs/cli.md is missing: {REGENERATE}"
    assert DOC.read_text(encoding="utf-8") == fresh, (
        f"docs/cli.md differs from the command tree of ganlab.cli: {REGENERATE}"
    )


def test_cli_reference_covers_every_command() -> None:
    text = DOC.read_text(encoding="utf-8")
    names = _commands(typer.main.get_command(ganlab.cli.app), "ganlab")
    assert len(names) > 20  # 6 groups and their commands
    missing = [n for n in names if f"`{n}`" not in text]
    assert not missing, f"docs/cli.md lacks {missing}: {REGENERATE}"
