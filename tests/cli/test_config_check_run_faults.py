"""`config check` refuses what a run would fail on (issue 25): each case one line naming the
key, the same from `study run` (before any trial starts), never a traceback.

Each used to pass `config check` and then fail at run time: a non-UTF-8 study file (a
traceback), a `[search]` key on an unknown path (trials recorded as "worker died"), a
categorical choice naming an unknown plugin, `data.image_size` 48, 20 or 7 with the resnet
generator (failed trials), `data.split = {val = 0.9, test = 0.9}`, `data.image_size = 100000`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ganlab.cli import app

runner = CliRunner()

STUDY = """
[study]
name = "faults"
output = "{tmp}/runs"
device = "cpu"

[data]
root = "synth"
synth = {{n = 20}}
image_size = 32
{data}

[gan]
generator = {{name = "resnet", ngf = 8}}
discriminator = {{name = "dcgan", ndf = 8}}

[classifier]
mode = "real+synthetic"
synthetic_ratio = 1.0

[search]
"classifier.optimizer.lr" = {{type = "float", low = 1e-4, high = 1e-2, log = true}}
{search}
"""

CASES = {
    "search-unknown-path": ("", '"foo.bar" = {type = "float", low = 0.1, high = 0.2}',
                            'search."foo.bar": with the value 0.1, foo: unknown key'),
    "search-unknown-plugin-name": (
        "", '"gan.generator.name" = {type = "categorical", choices = ["resnet", "nosuch"]}',
        'search."gan.generator.name": with the value "nosuch", gan.generator.name: unknown '
        "generator plugin 'nosuch'"),
    "search-unknown-plugin-table": (
        "", '"classifier.model" = {type = "categorical", choices = [{name = "compact_cnn"}, '
            '{name = "nosuch"}]}',
        "classifier.model.name: unknown classifier plugin 'nosuch'"),
    "search-size-the-generator-refuses": (
        "", '"data.image_size" = {type = "categorical", choices = [32, 48]}',
        'search."data.image_size": with the value 48, data.image_size: 48 does not fit '
        "gan.generator ('resnet')"),
    "size-48": ("image_size = 48", "", "data.image_size: 48 does not fit gan.generator"),
    "size-20": ("image_size = 20", "", "data.image_size: 20 does not fit gan.generator"),
    "size-7": ("image_size = 7", "", "data.image_size: 7 does not fit gan.generator"),
    "split-leaves-no-train": ("split = {val = 0.9, test = 0.9}", "",
                              "data.split: val + test = 1.8 leaves no training images"),
    "size-100000": ("image_size = 100000", "",
                    "data.image_size: expected at most 2048 (pixels per side), got 100000"),
}


def _write(tmp_path: Path, data: str, search: str) -> Path:
    text = STUDY.format(tmp=tmp_path, data=data, search=search)
    if "image_size = 32\nimage_size" in text:  # the case sets its own size
        text = text.replace("image_size = 32\n", "", 1)
    path = tmp_path / "s.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("command", [["config", "check"], ["study", "run"]])
def test_refused_at_check_time_with_one_line_naming_the_key(
    tmp_path: Path, case: str, command: list[str]
) -> None:
    data, search, message = CASES[case]
    path = _write(tmp_path, data, search)
    result = runner.invoke(app, [*command, str(path)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    text = " ".join(result.output.split())
    assert text.startswith(f"error: {path}: ") and message in text, text
    assert len(lines) <= 3, result.output  # one message (folded by the terminal width)
    assert not (tmp_path / "runs").exists() and not (tmp_path / "synth").exists()


def test_the_base_study_is_valid(tmp_path: Path) -> None:
    """The cases above fail only by what each changes."""
    result = runner.invoke(app, ["config", "check", str(_write(tmp_path, "", ""))])
    assert result.exit_code == 0, result.output


def test_a_non_utf8_study_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('[study]\nname = "caf\xe9"\n'.encode("latin-1"))
    for command in (["config", "check"], ["study", "run"]):
        done = subprocess.run([sys.executable, "-m", "ganlab", *command, str(path)],
                              capture_output=True, text=True, timeout=120)
        out = done.stdout + done.stderr
        assert done.returncode == 1, out
        assert "Traceback" not in out
        assert out.strip() == (f"error: {path}: line 2: not UTF-8 text (byte 0xe9); a study "
                               "file is UTF-8: save it as UTF-8"), out
