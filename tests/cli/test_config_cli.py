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
    short = runner.invoke(app, ["config", "check", str(path), "--profile", "smoke"])
    assert short.exit_code == 0, short.output
    assert short.output.strip().startswith("ok:") and len(short.output.strip().splitlines()) == 1
    result = runner.invoke(app, ["config", "check", str(path), "--profile", "smoke", "--show"])
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
        ([str(path), "--set", "classifier.optimizer.lr=0.001", "--set",
          "gan.checkpoint_minutes=-1"], "gan.checkpoint_minutes: expected a number >= 0, got -1"),
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


@pytest.mark.parametrize(("table", "message"), [
    ('synthesis = {name = "mixx"}',
     "classifier.synthesis.name: unknown synthesis plugin 'mixx'. Did you mean: mix"),
    ('synthesis = {name = "filter", tau = 1.5}',
     "classifier.synthesis.tau: tau must be in [0, 1], got 1.5"),
    ('synthesis = {name = "filter", tau = -0.1}',
     "classifier.synthesis.tau: tau must be in [0, 1], got -0.1"),
    ('synthesis = {name = "pretrain", n = 0}',
     "classifier.synthesis.n: n (generated images) must be >= 1, got 0"),
    ('synthesis = {name = "pretrain"}\n[gan]\nenabled = false',
     "classifier.synthesis: strategy 'pretrain' draws images from a class-conditional GAN, and "
     "this study has none"),
    ('synthesis = {name = "mix"}\n[gan]\nconditional = false',
     "strategy 'mix' draws images from a class-conditional GAN"),
    ('synthesis = {name = "mix"}\nmode = "real+synthetic"\nsynthetic_ratio = 1.0',
     "classifier.synthesis: set together with classifier.mode = 'real+synthetic'; keep one"),
])
def test_check_refuses_bad_synthesis_in_one_line(tmp_path: Path, table: str,
                                                 message: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[study]\nname = "cli"\n[data]\nroot = "synth"\nsynth = {n = 20}\n'
                    f'[classifier]\n{table}\n')
    result = runner.invoke(app, ["config", "check", str(path)])
    assert result.exit_code == 1, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert message in result.output, result.output
    assert "Traceback" not in result.output


def test_check_accepts_a_synthesis_strategy_and_its_search(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[study]\nname = "cli"\n[data]\nroot = "synth"\nsynth = {n = 20}\n'
                    '[classifier]\nsynthesis = {name = "filter", tau = 0.8, delta = 0.1}\n'
                    '[search]\n"classifier.synthesis.tau" = {type = "float", low = 0.5, '
                    'high = 0.9}\n')
    result = runner.invoke(app, ["config", "check", str(path), "--show"])
    assert result.exit_code == 0, result.output
    assert 'name = "filter"' in result.output


def test_a_strategy_declares_its_search_space(tmp_path: Path) -> None:
    from ganlab.config import load_config
    from ganlab.study.optimize._space import expand_search_space

    path = tmp_path / "s.toml"
    path.write_text('[study]\nname = "cli"\n[data]\nroot = "synth"\nsynth = {n = 20}\n'
                    '[classifier]\nsynthesis = {name = "filter"}\n'
                    '[search]\n"classifier.synthesis" = "declared"\n')
    names = [p.name for p in expand_search_space(load_config(path))]
    assert names == ["classifier.synthesis.tau", "classifier.synthesis.delta"]


def test_check_refuses_a_bad_ablation_level(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[study]\nname = "cli"\n[data]\nroot = "synth"\nsynth = {n = 20}\n'
                    '[ablation]\nfactors = {"classifier.synthesis" = [{name = "mix"}, '
                    '{name = "filter", tau = 2.0}]}\n')
    result = runner.invoke(app, ["config", "check", str(path)])
    assert result.exit_code == 1, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "classifier.synthesis.tau: tau must be in [0, 1], got 2.0" in result.output
    assert 'ablation.factors."classifier.synthesis" level' in result.output
