"""The CLI end to end on one small study: run (trials, baselines, ablation, ensemble),
report, list, show and the dashboard."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from study_helpers import SEARCH, TINY, run_cli_subprocess
from typer.testing import CliRunner

from ganlab.cli import app
from ganlab.study import SECTIONS

EXTRA = """
[ablation]
factors = {"classifier.synthetic_ratio" = [0.0, 0.5]}
seeds = [0, 1]
design = "full_factorial"

[baselines]
models = [{name = "timm", model = "mobilenetv3_small_100"}]
seeds = [0]
epochs = 1

[ensemble]
top_k = 2
include_baselines = true
"""

runner = CliRunner()


def _text(result) -> str:
    """The command's output with rich's line wrapping undone."""
    return " ".join(result.output.split())


@pytest.fixture(scope="module")
def full_study(tmp_path_factory: pytest.TempPathFactory, synth_root: Path) -> Path:
    """Run one small study with every section through ``ganlab study run``; its output dir."""
    root = tmp_path_factory.mktemp("full-study")
    text = TINY.format(name="full", output=root / "runs", n_trials=2, data=synth_root,
                       gan="true", mode="real+synthetic", epochs=1, sampler='{name = "tpe"}')
    study_file = root / "full.toml"
    study_file.write_text(text + SEARCH + EXTRA)
    result = runner.invoke(app, ["study", "run", str(study_file)])
    assert result.exit_code == 0, result.output
    assert "stages: optimize, baselines, ablation, ensemble" in _text(result)
    return root / "runs"


@pytest.mark.slow
def test_run_stores_every_stage(full_study: Path) -> None:
    root = full_study / "full"
    ablation = json.loads((root / "ablation" / "results.json").read_text())
    assert [r["label"] for r in ablation["rows"]] == ["base", "classifier.synthetic_ratio = 0.0"]
    assert all(r["n_seeds"] == 2 for r in ablation["rows"])
    assert set(ablation["rows"][1]["vs_base"]) == {"accuracy", "precision", "recall", "f1",
                                                   "roc_auc"}
    baselines = json.loads((root / "baselines" / "results.json").read_text())
    assert baselines["rows"][0]["name"] == "timm-mobilenetv3_small_100"
    assert baselines["rows"][0]["n_seeds"] == 1
    ensemble = json.loads((root / "ensemble" / "results.json").read_text())
    assert ensemble["members"] == ["trial 0", "trial 1", "timm-mobilenetv3_small_100 (seed 0)"] \
        or len(ensemble["members"]) == 3
    assert set(ensemble["methods"]) == {"soft", "weighted", "stacking"}
    # the ablation's base cell and the baseline share the GAN of seed 0 with the trials
    assert len(list((root / "gan-cache").glob("*/gan_result.json"))) == 2


@pytest.mark.slow
def test_a_second_run_reuses_every_finished_run(full_study: Path) -> None:
    study_file = full_study.parent / "full.toml"
    result = runner.invoke(app, ["study", "run", str(study_file)])
    assert result.exit_code == 0, result.output
    assert "(0 started now)" in _text(result)
    assert _text(result).count(": cached") == 5  # 1 baseline run + 4 ablation runs


@pytest.mark.slow
def test_ablate_prints_the_table_from_cached_runs(full_study: Path) -> None:
    result = runner.invoke(app, ["study", "ablate", str(full_study.parent / "full.toml")])
    assert result.exit_code == 0, result.output
    text = _text(result)
    assert text.count("cached") == 4 and "classifier.synthetic_ratio = 0.0" in text


@pytest.mark.slow
def test_report_has_every_section_and_is_self_contained(full_study: Path) -> None:
    result = runner.invoke(app, ["study", "report", "full", "--output", str(full_study)])
    assert result.exit_code == 0, result.output
    report = full_study / "full" / "report"
    html = (report / "index.html").read_text()
    md = (report / "report.md").read_text()
    for section in SECTIONS:
        assert f"<h2>{section}</h2>" in html and f"## {section}\n" in md
    where = [html.index(f"<h2>{section}</h2>") for section in SECTIONS]
    assert where == sorted(where)  # results first, the folded configuration last
    assert html.index("<details>") > where[-1]
    assert " ± " not in md  # seed intervals are printed with both ends, inside 0..1
    assert not re.search(r"(src|href)=['\"]https?://", html)  # opens offline
    images = re.findall(r"src='data:image/png;base64,", html)
    assert len(images) >= 8  # history, importance, samples, losses, ROC, 2 confusion, curves
    for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md):
        assert (report / link).is_file()
    assert "Factor: classifier.synthetic_ratio" in md and "timm-mobilenetv3_small_100" in md
    assert "stacking" in md and "No completed trial" not in md


@pytest.mark.slow
def test_list_and_show(full_study: Path) -> None:
    listed = runner.invoke(app, ["study", "list", "--output", str(full_study)])
    assert listed.exit_code == 0 and "full" in listed.output
    shown = runner.invoke(app, ["study", "show", "full", "--output", str(full_study)])
    assert shown.exit_code == 0, shown.output
    assert shown.output.count("COMPLETE") == 2 and "classifier.optimizer.lr" in _text(shown)


def test_unknown_study_is_a_one_line_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["study", "report", "nope", "--output", str(tmp_path)])
    assert result.exit_code == 1
    assert "no study 'nope'" in _text(result) and "Traceback" not in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_dashboard_serves_the_study(full_study: Path) -> None:
    port = _free_port()
    proc = run_cli_subprocess("study", "dashboard", "full", "--output", str(full_study),
                              "--port", str(port), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline, body = time.time() + 60, None
        while time.time() < deadline and body is None:
            assert proc.poll() is None, "the dashboard exited"
            try:
                url = f"http://127.0.0.1:{port}/api/studies"
                with urllib.request.urlopen(url, timeout=2) as r:
                    body = json.loads(r.read())
            except OSError:
                time.sleep(0.3)
        assert body is not None, "the dashboard did not answer"
        assert [s["study_name"] for s in body["study_summaries"]] == ["full"]
    finally:
        proc.terminate()
        proc.wait(30)


def test_run_rejects_impossible_options_before_starting(write_study) -> None:
    path = write_study()
    result = runner.invoke(app, ["study", "run", str(path), "--jobs", "2", "--storage",
                                 ":memory:"])
    assert result.exit_code == 1 and "needs a shared storage" in _text(result)
    assert "(options: --jobs, --storage)" in _text(result)  # library paths shown as flags
    result = runner.invoke(app, ["study", "run", str(path), "--jobs", "0"])
    assert result.exit_code == 1 and "--jobs: expected at least 1 worker" in _text(result)
    result = runner.invoke(app, ["study", "run", str(path), "--storage", "mysql-ish"])
    assert result.exit_code == 1 and "expected a database URL" in _text(result)
    assert not (path.parent / "runs" / "tiny" / "trials").exists()


@pytest.mark.slow
def test_trials_only_skips_the_later_stages(tmp_path: Path, synth_root: Path) -> None:
    text = TINY.format(name="only", output=tmp_path / "runs", n_trials=1, data=synth_root,
                       gan="false", mode="real", epochs=1, sampler='{name = "random"}')
    study_file = tmp_path / "only.toml"
    study_file.write_text(text + SEARCH + EXTRA)
    result = runner.invoke(app, ["study", "run", str(study_file), "--trials-only"])
    assert result.exit_code == 0, result.output
    assert "stages: optimize" in _text(result)
    assert "ablation" not in _text(result).split("stages:")[1].split("best")[0]
    assert not (tmp_path / "runs" / "only" / "ablation").exists()
