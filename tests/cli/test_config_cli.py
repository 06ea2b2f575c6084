"""`ganlab config check`: print the resolved study, or one error line and exit 1."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ganlab.cli import app

runner = CliRunner()

STUDY = """
[study]
name = "cli"

[data]
root = "synth"
synth = {n = 20}

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
        ([str(path), "--set", 'gan.compile="bogus"'],
         "gan.compile: expected true, false or 'reduce-overhead', got \"bogus\""),
    ]
    for args, message in cases:
        result = runner.invoke(app, ["config", "check", *args])
        assert result.exit_code == 1, result.output
        assert message in result.output.replace("\n", " ")
        assert "Traceback" not in result.output


def _images(root: Path, classes: tuple[str, ...] = ("benign", "malignant")) -> Path:
    for cls in classes:
        (root / cls).mkdir(parents=True)
        (root / cls / "a.png").write_bytes(b"png")
    return root


BAD = [
    ('[study]\nname = "b"\n[data]\nroot = "nowhere"\n',
     "data.root: {tmp}/nowhere is not a folder. Point data.root"),
    ('[study]\nname = "b"\n[data]\nroot = "one"\n',
     "data.root: {tmp}/one: found only 1 class (benign); ganlab needs exactly two"),
    ('[study]\nname = "b"\n[data]\nroot = "empty"\n',
     "data.root: {tmp}/empty: class folder(s) malignant hold no files"),
    ('[study]\nname = "b"\n',
     "data: no images configured; set data.root"),
    ('[study]\nname = "b"\n[data]\nroot = "two"\n[classifier]\n'
     'optimizer = {{name = "adam", lr = nan}}\n',
     "classifier.optimizer.lr: expected a finite number, got nan; TOML's nan and inf"),
    ('[study]\nname = "b"\ntimeout = inf\n[data]\nroot = "two"\n',
     "study.timeout: expected a finite number, got inf"),
    ('[study]\nname = "b"\n[data]\nroot = "two"\n[search]\n'
     '"classifier.optimizer.lr" = {{type = "float", low = 0.001, high = inf}}\n',
     'search."classifier.optimizer.lr".high: expected a finite number, got inf'),
    ('[study]\nname = "../../escape"\n[data]\nroot = "two"\n',
     "study.name: '../../escape' cannot be used as a folder name; use letters, digits"),
]


@pytest.mark.parametrize(("body", "message"), BAD, ids=[
    "no-root", "one-class", "empty-class", "no-data", "nan-lr", "inf-timeout", "inf-search",
    "escape-name"])
@pytest.mark.parametrize("command", [["config", "check"], ["study", "run"]])
def test_check_and_run_refuse_what_would_fail_every_trial(
    tmp_path: Path, body: str, message: str, command: list[str]
) -> None:
    """config check and study run share one check (no trial starts, nothing is written)."""
    _images(tmp_path / "two")
    _images(tmp_path / "one", ("benign",))
    _images(tmp_path / "empty")
    (tmp_path / "empty" / "malignant" / "a.png").unlink()
    path = tmp_path / "bad.toml"
    path.write_text(body.format().replace("[study]\n", f'[study]\noutput = "{tmp_path}/runs"\n'))
    result = runner.invoke(app, [*command, str(path)])
    text = " ".join(result.output.split())
    assert result.exit_code == 1, text
    assert "Traceback" not in result.output
    assert text.startswith(f"error: {path}: "), text
    assert message.format(tmp=tmp_path) in text
    assert not (tmp_path / "runs").exists()


def test_check_accepts_a_synthetic_set_still_to_be_generated(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(STUDY)
    result = runner.invoke(app, ["config", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "synth").exists()  # checking generates nothing
