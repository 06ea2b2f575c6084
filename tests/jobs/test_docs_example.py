"""The Python example of docs/architecture.md runs a study without the command line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def example() -> str:
    """The ``python`` block of the "Jobs" section."""
    section = DOC.read_text().split("## Jobs", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the Jobs section has one Python example"
    return blocks[0]


def test_the_example_is_ten_lines_at_most() -> None:
    assert len(example().strip().splitlines()) <= 10


@pytest.mark.slow
def test_the_example_runs_a_study(study_file, capsys) -> None:
    path = study_file("docs")
    exec(compile(example(), str(DOC), "exec"), {"study_file": str(path)})  # noqa: S102
    out = capsys.readouterr().out
    assert "1 trials; best #0:" in out
    report = re.search(r"report: (\S+)", out)
    assert report is not None and Path(report.group(1)).is_file()
