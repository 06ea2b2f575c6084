"""Hostile file names and symlinks in the data folder (issue 12, faults 7 and 8).

A non-UTF-8 file name failed every trial (``UnicodeEncodeError`` writing split.csv, no file
named) and ``data split`` printed a 47-line traceback, while ``data inspect`` had accepted the
file. A symlink to a file outside the data root (``/etc/passwd``) was opened.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ganlab.cli import app
from ganlab.config import config_from_dict
from ganlab.data import inspect_folder, prepare_data
from ganlab.data._sources import SKIP_NOT_UTF8, SKIP_OUTSIDE

runner = CliRunner()
BAD_NAME = os.fsdecode(b"lesion-\xff\xfe.png")  # not UTF-8: a surrogate-escaped str


@pytest.fixture
def hostile_root(synth_root: Path, tmp_path: Path) -> Path:
    """The synthetic set plus a non-UTF-8 name, a link to /etc/passwd and one to an image
    outside the root."""
    benign = synth_root / "benign"
    first = sorted(benign.iterdir())[0]
    shutil.copy(first, benign / BAD_NAME)
    outside = tmp_path / "outside.png"
    shutil.copy(first, outside)
    (benign / "passwd.png").symlink_to("/etc/passwd")
    (benign / "outside.png").symlink_to(outside)
    (benign / "inside.png").symlink_to(first)  # inside the root: read as usual
    return synth_root


def test_inspect_skips_them_with_reasons(hostile_root: Path) -> None:
    rep = inspect_folder(hostile_root, workers=1)
    reasons = dict(rep.skipped)
    assert reasons["benign/lesion-\\xff\\xfe.png"] == SKIP_NOT_UTF8
    assert reasons["benign/passwd.png"] == SKIP_OUTSIDE
    assert reasons["benign/outside.png"] == SKIP_OUTSIDE
    assert "benign/inside.png" not in reasons
    assert rep.files["benign"] == 21  # 20 images + the link inside the root


def test_follow_symlinks_reads_links_outside_the_root(hostile_root: Path) -> None:
    rep = inspect_folder(hostile_root, workers=1, follow_symlinks=True)
    reasons = dict(rep.skipped)
    assert "benign/outside.png" not in reasons
    assert reasons["benign/passwd.png"] != SKIP_OUTSIDE  # read, and then not an image


def test_data_split_writes_a_utf8_manifest_and_names_the_skips(
    hostile_root: Path, tmp_path: Path
) -> None:
    study = tmp_path / "study.toml"
    study.write_text(f'[study]\nname = "h"\n\n[data]\nroot = "{hostile_root}"\n'
                     "image_size = 16\nworkers = 1\n")
    result = runner.invoke(app, ["data", "split", str(study), "--work-dir", str(tmp_path / "w")])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "skipped 3" in result.output
    text = (tmp_path / "w" / "split.csv").read_text(encoding="utf-8")  # strict UTF-8
    assert "passwd" not in text and "outside" not in text and "inside.png" in text
    cfg = config_from_dict({"study": {"name": "h"}, "data": {
        "root": str(hostile_root), "image_size": 16, "workers": 1}})
    data = prepare_data(cfg.data, base_dir=tmp_path, work_dir=tmp_path / "w")
    assert data.protocol["skipped"] == {SKIP_NOT_UTF8: 1, SKIP_OUTSIDE: 2}


def test_skipped_csv_lists_what_the_log_counts_under_each_files_own_name(
    hostile_root: Path, tmp_path: Path
) -> None:
    """skipped.csv listed 16 of the 20 files the log counted (issue 25): the non-UTF-8 names
    and the symlinks leaving the root were missing, and a dangling link was listed under its
    target's name."""
    import csv

    benign = hostile_root / "benign"
    (benign / "dangling.png").symlink_to(benign / "no-such-target.png")
    (benign / "dangling-out.png").symlink_to("/nonexistent/elsewhere.png")
    cfg = config_from_dict({"study": {"name": "h"}, "data": {
        "root": str(hostile_root), "image_size": 16, "workers": 1}})
    data = prepare_data(cfg.data, base_dir=tmp_path, work_dir=tmp_path / "w")
    counted = data.protocol["skipped"]
    with open(data.protocol["skipped_list"], encoding="utf-8", newline="") as fh:
        listed = list(csv.DictReader(fh))
    assert len(listed) == sum(counted.values()) == 5
    by_name = {Path(r["path"]).name: r["reason"] for r in listed}
    assert by_name["lesion-\\xff\\xfe.png"] == SKIP_NOT_UTF8
    assert by_name["passwd.png"] == SKIP_OUTSIDE and by_name["outside.png"] == SKIP_OUTSIDE
    assert by_name["dangling-out.png"] == SKIP_OUTSIDE
    assert "dangling.png" in by_name and "no-such-target.png" not in by_name
    assert all(Path(r["path"]).parent == benign for r in listed)
