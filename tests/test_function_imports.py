"""ganlab's own modules are imported at module top, where readers and tools see the import graph.

An import of a ganlab module inside a function hides a dependency: it is allowed only on
:data:`ALLOWED` (``"path:function"`` -> why it stays lazy, with a ``# lazy:`` comment at the
import). Heavy third-party libraries (torch, timm, optuna, ...) may still be imported inside
functions where ``ganlab --help`` needs it; this rule is about ganlab's own modules only.
"""

from __future__ import annotations

import ast
import tomllib
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAZY = "# lazy:"  # the comment an allowed import carries, followed by why

# "path:function" -> why the import of a ganlab module stays inside that function.
ALLOWED: dict[str, str] = {}

# Files whose functions still import ganlab modules, with how many: it may fall (lower it), never
# rise. Light entry points (``ganlab --help``; ``import ganlab.study`` behind ``study list``,
# ``show`` and ``report``) reach the torch- and OpenCV-backed packages through
# ``ganlab.lazy.lazy_namespace`` at module top instead (checked against the layers below).
LIGHT_START: dict[str, int] = {}


def _imports_package(node: ast.Import | ast.ImportFrom, package: str) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level > 0 or (node.module or "").split(".")[0] == package
    return any(alias.name.split(".")[0] == package for alias in node.names)


def function_imports(root: Path, package: str = "ganlab") -> list[tuple[str, int, str]]:
    """``(path, line, function)`` of every import of ``package`` made inside a function.

    ``path`` is relative to ``root``'s parent (``ganlab/io.py``); ``function`` is the qualified
    name (``Class.method``, ``outer.inner``).
    """
    found = []

    def visit(node: ast.AST, rel: str, scope: list[str], in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                if in_function and _imports_package(child, package):
                    found.append((rel, child.lineno, ".".join(scope)))
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, rel, [*scope, child.name], True)
            elif isinstance(child, ast.ClassDef):
                visit(child, rel, [*scope, child.name], in_function)
            else:
                visit(child, rel, scope, in_function)

    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).as_posix()
        visit(ast.parse(path.read_text(), filename=str(path)), rel, [], False)
    return found


def unexplained(found: list[tuple[str, int, str]], root: Path,
                allowed: dict[str, str], light: dict[str, int]) -> list[str]:
    """``file:line: why`` for each function-level import that ALLOWED and LIGHT_START miss."""
    hits = []
    per_file = Counter(rel for rel, _, _ in found)
    for rel, line, function in found:
        if rel in light:
            continue
        if f"{rel}:{function}" not in allowed:
            hits.append(f"{rel}:{line}: in {function}(): import at module top")
            continue
        text = (root.parent / rel).read_text().splitlines()[line - 1]
        if LAZY not in text:
            hits.append(f"{rel}:{line}: allowed, but the import needs a '{LAZY} why' comment")
    for rel, count in sorted(light.items()):
        if per_file[rel] > count:
            hits.append(f"{rel}: {per_file[rel]} function-level imports, LIGHT_START allows "
                        f"{count}: import at module top")
        elif per_file[rel] < count:
            hits.append(f"{rel}: {per_file[rel]} function-level imports left: lower "
                        f"LIGHT_START to {per_file[rel]} (delete the entry at 0)")
    used = {f"{rel}:{function}" for rel, _, function in found}
    hits += [f"{key}: on ALLOWED but imports nothing there: remove it"
             for key in sorted(set(allowed) - used)]
    return hits


def test_ganlab_modules_are_imported_at_module_top() -> None:
    root = REPO / "ganlab"
    hits = unexplained(function_imports(root), root, ALLOWED, LIGHT_START)
    assert not hits, ("function-level imports of ganlab modules (move each to the top of its "
                      "module, or add it to ALLOWED with a reason):\n" + "\n".join(hits))


def test_the_allow_list_stays_short() -> None:
    assert len(ALLOWED) <= 10
    assert all(reason.strip() for reason in ALLOWED.values())


def test_the_rule_catches_a_planted_function_level_import(tmp_path: Path) -> None:
    pkg = tmp_path / "ganlab"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "top.py").write_text("from ganlab.errors import GanlabError\nimport json\n")
    (pkg / "sub" / "mod.py").write_text(
        "import json\n\n\n"
        "def load():\n    import torch\n\n    from ganlab.io import read_state\n"
        "    return read_state, torch\n\n\n"
        "class Box:\n    def open(self):\n        from . import top\n        return top\n\n\n"
        "def lazy():\n    from ganlab.data import prepare_data  # lazy: pulls cv2\n"
        "    return prepare_data\n")
    found = function_imports(pkg)
    assert found == [("ganlab/sub/mod.py", 7, "load"), ("ganlab/sub/mod.py", 13, "Box.open"),
                     ("ganlab/sub/mod.py", 18, "lazy")]
    hits = unexplained(found, pkg, {"ganlab/sub/mod.py:lazy": "cv2 start-up"}, {})
    assert hits == ["ganlab/sub/mod.py:7: in load(): import at module top",
                    "ganlab/sub/mod.py:13: in Box.open(): import at module top"]
    assert unexplained(found, pkg, {}, {"ganlab/sub/mod.py": 3}) == []
    assert "LIGHT_START allows 2" in unexplained(found, pkg, {}, {"ganlab/sub/mod.py": 2})[0]


def _layer(module: str, layers: list[str]) -> int:
    package = ".".join(module.split(".")[:2])  # ganlab.study.pipeline -> ganlab.study
    return next(i for i, layer in enumerate(layers)
                if package in (p.strip() for p in layer.split("|")))


def test_lazy_modules_respect_the_layers() -> None:
    """A lazy edge is invisible to import-linter, so each ``lazy_namespace("ganlab.x")`` is
    checked here against the layers contract of pyproject.toml: the target lies in a lower
    layer (the CLI, the top layer, may also name its own modules)."""
    contracts = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = contracts["contracts"][0]["layers"]
    edges = []
    for path in sorted((REPO / "ganlab").rglob("*.py")):
        caller = ".".join(path.relative_to(REPO).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "lazy_namespace":
                edges += [(caller, arg.value) for arg in node.args]
    assert edges  # the CLI and the study pipeline use it
    wrong = [f"{caller} -> {target}" for caller, target in edges
             if not (_layer(target, layers) > _layer(caller, layers)
                     or caller.startswith("ganlab.cli.") and target.startswith("ganlab.cli."))]
    assert not wrong, f"lazy imports against the layers: {wrong}"
