"""``ganlab.provenance``: what a figure is quoted with (date, commit, machine)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import ganlab
from ganlab.provenance import commit, environment


def test_the_environment_names_the_time_versions_and_machine() -> None:
    where = environment()
    assert set(where) == {"utc", "ganlab", "commit", "torch", "host", "machine", "cpu",
                          "cores"}
    time.strptime(where["utc"], "%Y-%m-%dT%H:%M:%SZ")
    assert where["ganlab"] == ganlab.__version__ and where["cores"] == os.cpu_count()
    assert where["torch"]  # installed; read from its metadata, not by importing it


def test_the_commit_is_the_checkout_s_and_says_when_it_has_uncommitted_changes() -> None:
    here = Path(ganlab.__file__).resolve().parent
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here,
                          capture_output=True, text=True)
    if head.returncode != 0:  # an installed wheel: no checkout to name
        assert commit() is None
        return
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                            cwd=here, capture_output=True, text=True).stdout.strip()
    assert commit() == head.stdout.strip() + ("+dirty" if status else "")
