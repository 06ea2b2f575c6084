"""`ganlab config check`: print the resolved study, or one error line and exit 1."""

from __future__ import annotations

import tomllib
from pathlib import Path

from typer.testing import CliRunner

from ganlab.cli import app

runner = CliRunner()

STUDY = """
[study]
name = "cli"

[gan]
epochs = 25

[profiles.smoke]
"gan.epochs" = 1
"""


def test_check_prints_resolved_config(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(STUDY)
    result = runner.invoke(app, ["config", "check", str(path), "--profile", "smoke"])
    assert result.exit_code == 0, result.output
    assert "epochs = 1" in result.output
    assert "is valid with profile smoke" in result.output
    body = result.output.split("ok:")[0]
    assert tomllib.loads(body)["gan"]["optimizer"]["name"] == "adam"


def test_check_errors(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(STUDY + '[classifier]\noptimizer = {name = "adam", lr = "fast"}\n')
    cases = [
        ([str(path)], 'classifier.optimizer.lr: expected a number, got "fast"'),
        ([str(tmp_path / "missing.toml")], "no such study file"),
        ([str(path), "-p", "gpu"], "no profile 'gpu'"),
    ]
    for args, message in cases:
        result = runner.invoke(app, ["config", "check", *args])
        assert result.exit_code == 1, result.output
        assert message in result.output.replace("\n", " ")
        assert "Traceback" not in result.output
