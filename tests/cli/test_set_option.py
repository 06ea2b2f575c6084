"""``--set PATH=VALUE`` on every command that reads a study file, validated like the file."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ganlab.cli import app
from ganlab.config import load_config, parse_override
from ganlab.errors import ConfigError

runner = CliRunner()

STUDY = """
[study]
name = "sets"

[data]
synth = {n = 20}
root = "synth"

[classifier]
epochs = 30
model = {name = "compact_cnn", width = 16}

[profiles.short]
"classifier.epochs" = 5
"classifier.batch_size" = 16
"""

# Every command that reads a study file ({study}), with its other required arguments.
COMMANDS = [
    ["config", "check", "{study}"],
    ["data", "preview", "{study}"],
    ["data", "split", "{study}"],
    ["gan", "train", "{study}"],
    ["gan", "metrics", "checkpoint.pt", "--study", "{study}"],
    ["classify", "train", "{study}"],
    ["classify", "floors", "{study}"],
    ["study", "run", "{study}"],
    ["study", "ablate", "{study}"],
]


@pytest.fixture
def study(tmp_path: Path) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(STUDY)
    return path


def _check(study: Path, *args: str) -> dict:
    result = runner.invoke(app, ["config", "check", str(study), "--show", *args])
    assert result.exit_code == 0, result.output
    return tomllib.loads(result.output.split("ok:")[0])


def test_file_then_profile_then_set_in_order(study: Path) -> None:
    assert _check(study)["classifier"]["epochs"] == 30
    assert _check(study, "-p", "short")["classifier"]["epochs"] == 5
    got = _check(study, "-p", "short", "--set", "classifier.epochs=25",
                 "--set", "classifier.epochs=7")["classifier"]
    assert (got["epochs"], got["batch_size"]) == (7, 16)  # the last --set wins; profile kept


def test_set_takes_toml_values_and_plugin_tables(study: Path) -> None:
    got = _check(study, "--set", 'classifier.model={name="timm", model="resnet18"}',
                 "--set", "classifier.model.dropout=0.25", "--set", 'study.name="other"',
                 "--set", "data.split={val = 0.2, test = 0.1}")
    assert got["classifier"]["model"] == {"name": "timm", "model": "resnet18", "dropout": 0.25}
    assert got["study"]["name"] == "other"
    assert (got["data"]["split"]["val"], got["data"]["split"]["test"]) == (0.2, 0.1)


@pytest.mark.parametrize(
    ("override", "file_line", "message"),
    [
        ("classifier.epoch=3", "[classifier]\nepoch = 3\n",
         "classifier.epoch: unknown key; allowed keys in classifier: enabled, model"),
        ('classifier.epochs="many"', '[classifier]\nepochs = "many"\n',
         'classifier.epochs: expected an integer, got "many"'),
        ("classifier.model.widht=8", '[classifier]\nmodel = {name = "compact_cnn", widht = 8}\n',
         "classifier.model.widht: unknown parameter of classifier plugin 'compact_cnn'. "
         "Did you mean: width?"),
        ("classifier.epochs=-1", "[classifier]\nepochs = -1\n",
         "classifier.epochs: expected a number > 0, got -1"),
    ],
)
def test_bad_set_gives_the_file_loaders_message(
    tmp_path: Path, override: str, file_line: str, message: str
) -> None:
    base = tmp_path / "base.toml"
    base.write_text('[study]\nname = "s"\n')
    in_file = tmp_path / "in_file.toml"
    in_file.write_text('[study]\nname = "s"\n' + file_line)
    with pytest.raises(ConfigError) as from_file:
        load_config(in_file)
    assert message in str(from_file.value)
    result = runner.invoke(app, ["config", "check", str(base), "--set", override])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "Traceback" not in text
    assert message in text  # the same words as the file's error
    assert f"(from override {override.split('=')[0]}=" in text  # and where it came from


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("classifier.epochs=2x", "override classifier.epochs=2x: not valid TOML"),
        ("study.name=mine", "a string needs TOML quotes: study.name='\"mine\"'"),
        ("classifier.epochs", "expected PATH=VALUE with a dotted config path"),
        ("classifier epochs=3", "expected PATH=VALUE with a dotted config path"),
        ("a.b=1\nc = 2", "not valid TOML: one value expected"),
    ],
)
def test_set_text_that_is_not_path_equals_toml(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match="override"):
        parse_override(text)
    assert message in str(pytest.raises(ConfigError, parse_override, text).value)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_every_study_command_takes_set(study: Path, command: list[str]) -> None:
    """Each command applies --set while loading, before any work: a bad one stops it."""
    args = [a.format(study=study) for a in command]
    result = runner.invoke(app, [*args, "--set", "classifier.epochs=0"])
    assert result.exit_code == 1, result.output
    assert "classifier.epochs: expected a number > 0, got 0" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_overrides_are_recorded(tmp_path: Path) -> None:
    from ganlab.config import config_record

    path = tmp_path / "s.toml"
    path.write_text(STUDY)
    cfg = load_config(path, profile="short", overrides=[
        ("classifier.epochs", 2), ("study.storage", "postgresql://u:secret@host/db")])
    record = config_record(cfg)
    assert record["profile"] == "short"
    assert record["overrides"] == [["classifier.epochs", 2],
                                   ["study.storage", "postgresql://u:***@host/db"]]
    assert record["config"]["classifier"]["epochs"] == 2
    assert "overrides" not in record["config"] and "profile" not in record["config"]


def test_study_checks_name_the_override_behind_a_problem(study: Path) -> None:
    """What `study run` refuses before any trial (check_study) names the --set too."""
    for override, message in [
        ("classifier.optimizer.lr=nan", "classifier.optimizer.lr: expected a finite number"),
        ('study.name="../x"', "study.name: '../x' cannot be used as a folder name"),
    ]:
        result = runner.invoke(app, ["config", "check", str(study), "--set", override])
        text = " ".join(result.output.split())
        assert result.exit_code == 1 and "Traceback" not in result.output, text
        assert message in text and f"(from override {override})" in text, text


WRITERS = [c for c in COMMANDS if c[:2] != ["data", "preview"]]  # preview writes one PNG only


@pytest.mark.parametrize("command", WRITERS, ids=[" ".join(c[:2]) for c in WRITERS])
def test_every_command_refuses_an_unsafe_study_name_in_one_line(
    command: list[str], study: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each command that writes under ``<output>/<study name>`` checks the name first."""
    monkeypatch.chdir(tmp_path)
    args = [a.format(study=study) for a in command]
    result = runner.invoke(app, [*args, "--set", 'study.name="../x"'])
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert f"{study}: study.name: '../x' cannot be used as a folder name" in lines[0]
    assert "(from override study.name=\"../x\")" in lines[0]
    assert not (tmp_path / "x").exists()
