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
