"""A study that only ran `study ablate` (never `study run`): report, list and show still work."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ganlab.cli import app

runner = CliRunner()

ABLATION = """
[ablation]
factors = {"classifier.batch_size" = [32, 16]}
seeds = [0, 1]
"""


def test_report_of_an_ablation_only_study(write_study, tmp_path: Path) -> None:
    study = write_study("abl", extra=ABLATION)
    runs = tmp_path / "runs"
    for sets in (["--set", "ablation.seeds=[1]"], []):  # one seed first, as a second worker would
        result = runner.invoke(app, ["study", "ablate", str(study), *sets])
        assert result.exit_code == 0, result.output
    record = json.loads((runs / "abl" / "study.json").read_text())
    assert record["storage"] is None  # the latest command's config, with both seeds:
    assert record["config"]["ablation"]["seeds"] == [0, 1]

    result = runner.invoke(app, ["study", "report", "abl", "--output", str(runs)])
    assert result.exit_code == 0, result.output
    md = (runs / "abl" / "report" / "report.md").read_text()
    assert "classifier.batch_size = 16" in md  # the ablation table, over both seeds
    assert "seeds \\[0, 1\\]" in md
    assert "the study was not optimised" in md and "none (never optimised)" in md
    assert not (runs / "abl" / "optuna.journal").exists()  # reading created no storage

    listed = runner.invoke(app, ["study", "list", "--output", str(runs)])
    assert listed.exit_code == 0 and "abl" in listed.output


def test_ablation_only_report_shows_each_seeds_gan_once(write_study, tmp_path: Path) -> None:
    study = write_study("ablgan", gan=True, mode="real+synthetic", extra=ABLATION)
    result = runner.invoke(app, ["study", "ablate", str(study)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["study", "report", "ablgan", "--output", str(tmp_path / "runs")])
    assert result.exit_code == 0, result.output
    report = tmp_path / "runs" / "ablgan" / "report"
    md = (report / "report.md").read_text()
    # both cells of a seed share one GAN (gan-cache): one grid per seed, from the base cell
    assert "Ablation GAN (base, seed 0" in md and "Ablation GAN (base, seed 1" in md
    assert "classifier.batch_size = 16, seed" not in md
    assert sorted(p.name for p in (report / "img").glob("samples_*.png")) == \
        ["samples_0.png", "samples_1.png"]
