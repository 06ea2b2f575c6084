"""No import cycle in ganlab: every module can be read, and imported, after the ones it uses.

grimp (import-linter's graph library) sees every import statement, also those inside
functions; imports under ``if TYPE_CHECKING:`` only are left out (they never run).
"""

from __future__ import annotations

import sys
from pathlib import Path

import grimp
import pytest


def import_cycles(package: str) -> list[list[str]]:
    """The strongly connected groups of more than one module of ``package`` (Tarjan)."""
    graph = grimp.build_graph(package, cache_dir=None, exclude_type_checking_imports=True)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in sorted(graph.find_modules_directly_imported_by(module)):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                group.append(other)
                if other == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return cycles


def test_ganlab_has_no_import_cycle() -> None:
    cycles = import_cycles("ganlab")
    assert not cycles, "import cycles (break each one):\n" + "\n".join(
        " <-> ".join(group) for group in cycles)


def test_a_cycle_hidden_inside_a_function_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = tmp_path / "cyclepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from cyclepkg.b import g\n\ndef f():\n    return g()\n")
    (pkg / "b.py").write_text("def g():\n    from cyclepkg.a import f\n    return f\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
                              "    from cyclepkg.a import f\n")
    (pkg / "d.py").write_text("from cyclepkg import c\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "cyclepkg", raising=False)
    assert import_cycles("cyclepkg") == [["cyclepkg.a", "cyclepkg.b"]]
