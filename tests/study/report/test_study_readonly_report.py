"""Read-only study folders, report escaping and atomic report writes (issue 12, faults 5, 8).

``study show``, ``list`` and ``report`` used to crash on a read-only runs folder (``OSError:
[Errno 30] ... optuna.journal.lock``); ``report.md`` was not escaped; a report rerun killed
midway left ``report.md`` with broken image links.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import optuna
import pytest
from study_helpers import fake_pipeline as _fake_pipeline
from typer.testing import CliRunner

from ganlab.cli import app
from ganlab.config import load_config
from ganlab.study import RunContext, optimize_study, write_report
from ganlab.study.report import _report
from ganlab.study.report._doc import Doc

optuna.logging.set_verbosity(optuna.logging.ERROR)
runner = CliRunner()


@pytest.fixture
def mount_point(mount_tmpfs: Callable[[str], Path]) -> Path:
    return mount_tmpfs("16m")


def test_read_only_runs_folder_can_be_listed_shown_and_reported(
    write_study, mount_point: Path, tmp_path: Path
) -> None:
    runs = mount_point / "runs"
    cfg = load_config(write_study("ro", n_trials=2, output=runs))
    optimize_study(cfg, RunContext.from_config(cfg, pipeline=_fake_pipeline), n_trials=2)
    (runs / "ro" / "optuna.journal.lock").unlink(missing_ok=True)
    subprocess.run(["mount", "-o", "remount,ro", str(mount_point)], check=True)
    with pytest.raises(OSError, match="Read-only"):
        (runs / "probe").write_text("x")

    for args in (["study", "list"], ["study", "show", "ro"],
                 ["study", "report", "ro", "--out", str(tmp_path / "elsewhere")]):
        result = runner.invoke(app, [*args, "--output", str(runs)])
        assert result.exit_code == 0, (args, result.output, result.exception)
    assert "COMPLETE" in runner.invoke(app, ["study", "show", "ro", "--output", str(runs)]).output
    assert (tmp_path / "elsewhere" / "index.html").is_file()
    assert (tmp_path / "elsewhere" / "report.md").is_file()


def test_report_md_escapes_like_the_html(tmp_path: Path) -> None:
    doc = Doc("t", tmp_path)
    doc.p("<script>alert(1)</script> **x** [y](http://z)")
    doc.table(["reason"], [["a | b\nc <b>"]])
    doc.code("```\nbreak out\n```")
    md = doc.markdown(tmp_path)
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "\\*\\*x\\*\\*" in md and "\\[y\\]" in md
    row = next(line for line in md.splitlines() if "a \\| b" in line)
    assert row == "| a \\| b c &lt;b&gt; |"  # one cell, one line
    assert "````\n```\nbreak out\n```\n````" in md  # the fence outlasts the code's backticks


def test_a_report_rerun_that_dies_leaves_the_previous_report_whole(
    write_study, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = load_config(write_study("atomic", n_trials=1))
    optimize_study(cfg, RunContext.from_config(cfg, pipeline=_fake_pipeline), n_trials=1)
    runs = tmp_path / "runs"
    html = write_report("atomic", output=runs)
    report = html.parent
    before = {p.relative_to(report): p.read_bytes() for p in report.rglob("*") if p.is_file()}
    assert any(p.suffix == ".png" for p in before)

    def killed(*_a, **_kw):
        raise KeyboardInterrupt  # the rerun dies in the middle of the report

    monkeypatch.setattr(_report, "_gan", killed)
    with pytest.raises(KeyboardInterrupt):
        write_report("atomic", output=runs)
    after = {p.relative_to(report): p.read_bytes() for p in report.rglob("*") if p.is_file()}
    assert after == before
    md = (report / "report.md").read_text()
    for link in [line.split("](")[1].rstrip(")") for line in md.splitlines() if "](" in line]:
        assert (report / link).is_file()  # every image link resolves


ABLATION = """
[ablation]
factors = {"classifier.batch_size" = [32, 16]}
seeds = [0]
"""


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in root.rglob("*")}


@pytest.mark.slow
def test_report_out_writes_nothing_into_a_read_only_study_folder(
    write_study, tmp_path: Path
) -> None:
    """`study report --out DIR` used to write ablation/results.json into the study folder
    (issue 25): on a read-only bind mount of that folder it failed."""
    from study_helpers import run_cli_subprocess

    study = write_study("robind", extra=ABLATION)
    result = runner.invoke(app, ["study", "ablate", str(study)])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "runs" / "robind"
    (folder / "ablation" / "results.json").unlink()  # a report must not need to write it
    before = _tree(folder)
    made = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {made.stderr.decode().strip()}")
    try:
        ro = subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], capture_output=True)
        if ro.returncode != 0:
            pytest.skip(f"cannot remount read-only here: {ro.stderr.decode().strip()}")
        with pytest.raises(OSError, match="Read-only"):
            (folder / "probe").write_text("x")
        out = tmp_path / "elsewhere"
        proc = run_cli_subprocess("study", "report", "robind", "--output", str(tmp_path / "runs"),
                                  "--out", str(out), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        text = proc.communicate(timeout=300)[0]
        assert proc.returncode == 0, text
        assert "Traceback" not in text
        assert "classifier.batch_size = 16" in (out / "report.md").read_text()
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
    assert _tree(folder) == before
