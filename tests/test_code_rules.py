"""House rules on the source that ruff does not check."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MAX_LINES = 60
REASON = "Long because:"  # a docstring line starting with this says why a function stays long


def long_functions(root: Path, max_lines: int = MAX_LINES) -> list[str]:
    """``file:line:name:length`` of every function over ``max_lines`` lines without a reason."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            length = node.end_lineno - node.lineno + 1
            doc = ast.get_docstring(node) or ""
            reasoned = any(line.strip().startswith(REASON) for line in doc.splitlines())
            if length > max_lines and not reasoned:
                rel = path.relative_to(REPO) if path.is_relative_to(REPO) else path
                found.append(f"{rel}:{node.lineno}:{node.name}:{length}")
    return found


def test_no_function_in_ganlab_is_over_60_lines_without_a_reason() -> None:
    hits = long_functions(REPO / "ganlab")
    assert not hits, (f"functions over {MAX_LINES} lines: split them, or say why in a docstring "
                      f"line starting {REASON!r}:\n" + "\n".join(hits))


def test_the_rule_catches_a_long_function_and_accepts_a_reason(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(70))
    (tmp_path / "long.py").write_text(f"def too_long():\n{body}\n")
    (tmp_path / "ok.py").write_text(
        f'def fine():\n    """Doc.\n\n    Long because: one table.\n    """\n{body}\n')
    assert [h.split(":", 1)[1] for h in long_functions(tmp_path)] == ["1:too_long:71"]
