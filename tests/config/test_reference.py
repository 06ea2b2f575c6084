"""docs/study-files.md: its schema reference is generated from _schema.py and must be current."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from ganlab.config import _schema
from ganlab.config._reference import BEGIN, END, render_doc, schema_reference, update_doc

DOC = Path(__file__).resolve().parents[2] / "docs" / "study-files.md"


def test_doc_is_up_to_date() -> None:
    assert not update_doc(DOC, check=True), (
        "docs/study-files.md is out of date with ganlab/config/_schema.py; regenerate it with "
        "`python docs/gen_study_reference.py`"
    )


def test_every_field_and_its_comment_is_documented() -> None:
    text = schema_reference()
    for cls in vars(_schema).values():
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            continue
        if cls.__module__ != _schema.__name__ or cls.__name__ == "PluginRef":
            continue
        for f in dataclasses.fields(cls):
            if f.name in _schema.LOADER_FIELDS:
                continue
            assert f"| `{f.name}` |" in text, (cls.__name__, f.name)
    assert "| `lr`" not in text  # plugin parameters are not schema keys
    assert "| `n_critic` | integer | `1` | discriminator steps per generator step (k) |" in text
    assert "| `loss` | loss plugin | `{name = \"bce\"}` |" in text
    assert "### `[[study.objectives]]`" in text and "### `[gan.fid]`" in text


def test_stale_doc_is_detected_and_rewritten(tmp_path: Path) -> None:
    doc = tmp_path / "study-files.md"
    doc.write_text(f"# hand-written\n\n{BEGIN}\n| `old` | stale |\n{END}\nfooter\n")
    assert update_doc(doc, check=True)
    assert "stale" in doc.read_text()  # --check does not write
    assert update_doc(doc)
    text = doc.read_text()
    assert text.startswith("# hand-written") and text.endswith("footer\n")
    assert "stale" not in text and not update_doc(doc, check=True)
    with pytest.raises(ValueError, match="marker"):
        render_doc("no markers here")


def test_generator_script_check_mode() -> None:
    script = DOC.parent / "gen_study_reference.py"
    done = subprocess.run([sys.executable, str(script), "--check"], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
