"""Packages talk through their ``__init__`` re-exports, and the import-linter layers hold."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PRIVATE = re.compile(r"^\s*(?:from|import)\s+ganlab\.(\w+)\.(_\w+)", re.MULTILINE)


def _own_package(path: Path) -> str | None:
    rel = path.relative_to(REPO)
    return rel.parts[1] if rel.parts[0] == "ganlab" and len(rel.parts) > 2 else None


def test_no_module_imports_another_packages_private_module() -> None:
    files = [*(REPO / "ganlab").rglob("*.py"), *(REPO / "plugins").rglob("*.py")]
    hits = []
    for path in files:
        for m in PRIVATE.finditer(path.read_text()):
            if m.group(1) != _own_package(path):
                hits.append(f"{path.relative_to(REPO)}: {m.group(0).strip()}")
    assert not hits, ("import from the package instead (add a re-export to its __init__.py):\n"
                      + "\n".join(hits))


@pytest.mark.slow
def test_import_linter_contracts_are_kept() -> None:
    """The contracts of pyproject.toml (``.ci/run`` runs ``lint-imports`` too)."""
    pytest.importorskip("importlinter")
    code = ("import sys; from importlinter.cli import lint_imports; "
            "sys.exit(lint_imports(no_cache=True))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
