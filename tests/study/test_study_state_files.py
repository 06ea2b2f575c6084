"""Corrupt state files (issue 25): one line naming the file, never a traceback; caches and
derived results are set aside and rebuilt; one bad study never breaks ``study list``.

Reproduced with real subprocesses: ``echo '{"broken' > runs/<name>/study.json; ganlab study
list`` used to end in a ``JSONDecodeError`` traceback for every study; a corrupt cached
``ablation/base/seed-0/metrics.json`` crashed ``study run`` and ``study report``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import optuna
import pytest
from study_helpers import fake_pipeline, run_cli_subprocess

from ganlab.config import load_config
from ganlab.study import RunContext, optimize_study

optuna.logging.set_verbosity(optuna.logging.ERROR)

CORRUPT = {"bad-json": b'{"broken\n', "empty": b"", "a-list": b"[1, 2]\n",
           "not-utf8": b'{"name": "\xff\xfe"}'}

ABLATION = """
[ablation]
factors = {"classifier.batch_size" = [32, 16]}
seeds = [0]
"""


def _cli(*args: str) -> tuple[int, str]:
    proc = run_cli_subprocess(*args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.communicate(timeout=600)[0]
    assert "Traceback" not in out, out
    return proc.returncode, out


def _two_studies(write_study, runs: Path) -> None:
    for name in ("good", "bad"):
        cfg = load_config(write_study(name, n_trials=2))
        optimize_study(cfg, RunContext.from_config(cfg, pipeline=fake_pipeline), n_trials=2)
    assert (runs / "bad" / "study.json").is_file()


@pytest.mark.parametrize("case", list(CORRUPT))
def test_a_corrupt_study_json_is_one_line_and_list_shows_the_others(
    case: str, write_study, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    _two_studies(write_study, runs)
    (runs / "bad" / "study.json").write_bytes(CORRUPT[case])

    rc, out = _cli("study", "list", "--output", str(runs), "--format", "json")
    assert rc == 0, out
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["good"]["n_complete"] == 2 and rows["good"]["note"] == ""
    assert rows["bad"]["n_complete"] == 0
    assert "study.json" in rows["bad"]["note"] and "corrupt" in rows["bad"]["note"]
    rc, out = _cli("study", "list", "--output", str(runs))
    assert rc == 0 and "corrupt" in out, out

    for cmd in (["show", "bad"], ["report", "bad"]):
        rc, out = _cli("study", *cmd, "--output", str(runs))
        assert rc == 1, out
        lines = [line for line in out.splitlines() if line.strip()]
        assert len(lines) == 1 and "study.json" in lines[0] and "corrupt" in lines[0], out
    assert (runs / "bad" / "study.json").read_bytes() == CORRUPT[case]  # readers leave it


def test_list_notes_a_study_with_a_corrupt_journal(write_study, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    _two_studies(write_study, runs)
    journal = runs / "bad" / "optuna.journal"
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join([*lines[:2], b'{"op_code": 5, "broken\n', *lines[2:]]))
    rc, out = _cli("study", "list", "--output", str(runs), "--format", "json")
    assert rc == 0, out
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["good"]["n_complete"] == 2
    assert "optuna.journal" in rows["bad"]["note"], rows["bad"]


def test_run_sets_a_corrupt_study_json_aside_and_writes_it_again(
    write_study, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    _two_studies(write_study, runs)
    (runs / "bad" / "study.json").write_text('{"broken')
    with pytest.warns(UserWarning, match="set aside"):
        cfg = load_config(write_study("bad", n_trials=3))
        optimize_study(cfg, RunContext.from_config(cfg, pipeline=fake_pipeline), n_trials=3)
    assert json.loads((runs / "bad" / "study.json").read_text())["name"] == "bad"
    assert len(list((runs / "bad").glob("study.json.corrupt-*"))) == 1


@pytest.mark.slow
def test_a_corrupt_cached_ablation_result_is_set_aside_and_rebuilt(
    write_study, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    study = write_study("abl", n_trials=1, extra=ABLATION)
    rc, out = _cli("study", "run", str(study))
    assert rc == 0, out
    cached = runs / "abl" / "ablation" / "base" / "seed-0" / "metrics.json"
    good = json.loads(cached.read_text())
    cached.write_text('{"broken')

    rc, out = _cli("study", "report", "abl", "--output", str(runs))  # reads, never rewrites
    assert rc == 0, out
    assert cached.read_text() == '{"broken'
    rc, out = _cli("study", "run", str(study))
    assert rc == 0, out
    assert "metrics.json" in out and "set aside" in out
    assert json.loads(cached.read_text()).keys() == good.keys()  # rebuilt by a rerun
    assert len(list(cached.parent.glob("metrics.json.corrupt-*"))) == 1
