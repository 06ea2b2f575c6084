"""The project's files speak of the project: no word about how or by whom the work was done.

Figures carry their date, commit and machine instead of "this session" or "the third sitting".
Every text file git tracks is read (code, docs, study files, benchmarks, tests); a word with a
legitimate technical meaning is allowed only in the forms listed in ``ALLOWED``.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Words that describe the organisation of the work, not the project.
FORBIDDEN = re.compile(
    r"\b(sessions?|sittings?|engineers?|developers?|colleagues?|agents?|we worked)\b",
    re.IGNORECASE,
)
# Technical uses of those words (pytest fixture scopes, process sessions, database sessions).
ALLOWED = re.compile(
    r"scope\s*=\s*[\"']session[\"']|start_new_session|os\.setsid|\bSession\(|sessionmaker"
    r"|requests\.Session|database session|SQLAlchemy session|user[- ]agent",
    re.IGNORECASE,
)
TEXT = {".py", ".md", ".toml", ".sh", ".txt", ".cfg", ".ini", ".yml", ".yaml", ".json", ""}
SELF = Path(__file__).resolve()


def _tracked() -> list[Path]:
    done = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip("not a git checkout")
    return [ROOT / line for line in done.stdout.splitlines()
            if Path(line).suffix in TEXT and (ROOT / line).is_file()]


def offending_lines(text: str) -> list[str]:
    """Lines of ``text`` that speak of sessions, sittings or people (technical uses allowed)."""
    return [line.strip() for line in text.splitlines()
            if FORBIDDEN.search(ALLOWED.sub("", line))]


def test_no_file_speaks_of_how_the_work_was_done() -> None:
    hits = []
    for path in _tracked():
        if path.resolve() == SELF:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        hits += [f"{path.relative_to(ROOT)}: {line}" for line in offending_lines(text)]
    assert not hits, ("give the date, commit and machine instead:\n" + "\n".join(hits[:40]))


@pytest.mark.parametrize(("line", "bad"), [
    ("Measured in the third session on 2 cores.", True),
    ("no GPU was lent to any of the seven sessions", True),
    ("the first sitting trained 50 epochs", True),
    ("shared with about seven engineers", True),
    ('@pytest.fixture(scope="session")', False),
    ("proc = subprocess.Popen(cmd, start_new_session=True)", False),
    ("Measured on 2026-11-30 (commit 82e2ecb, 2-core AMD EPYC).", False),
])
def test_the_check_tells_the_two_apart(line: str, bad: bool) -> None:
    assert bool(offending_lines(line)) is bad
