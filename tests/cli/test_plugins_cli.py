"""`ganlab plugins` and the CLI root: fast help, listing, show, clean errors."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from ganlab.cli import app
from ganlab.registry import REGISTRIES

runner = CliRunner()


def test_importing_the_cli_imports_no_heavy_library() -> None:
    code = (
        "import sys, json, ganlab.cli\n"
        "print(json.dumps(sorted(m for m in ('torch', 'timm', 'optuna', 'cv2', 'numpy',"
        " 'sklearn', 'matplotlib') if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code],
                         capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_help_lists_every_sub_app() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for sub in ("plugins", "config", "data", "gan", "classify", "study"):
        assert sub in result.output
    assert runner.invoke(app, ["--version"]).output.startswith("ganlab ")


def test_list_json_covers_all_seven_kinds() -> None:
    result = runner.invoke(app, ["plugins", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["kind"] for r in rows} == set(REGISTRIES)
    assert set(rows[0]) == {"name", "kind", "package", "version", "entry_point", "description"}
    dcgan = [r for r in rows if r["name"] == "dcgan"]
    assert {r["kind"] for r in dcgan} == {"generators", "discriminators"}
    assert all(r["package"] == "ganlab" and r["description"] for r in dcgan)


def test_list_filters_by_kind_and_pattern() -> None:
    result = runner.invoke(app, ["plugins", "list", "--kind", "losses", "-f", "json", "*gan*"])
    assert result.exit_code == 0, result.output
    assert sorted(r["name"] for r in json.loads(result.stdout)) == ["lsgan", "wgan_gp"]
    table = runner.invoke(app, ["plugins", "list", "-k", "optimizers"])
    assert table.exit_code == 0 and "adam" in table.output and "bilateral" not in table.output


def test_show_parameters_defaults_and_search_space() -> None:
    result = runner.invoke(app, ["plugins", "show", "adam"])
    assert result.exit_code == 0, result.output
    assert "optimizer" in result.output and "lr" in result.output and "0.0002" in result.output
    assert "float 5e-05..0.001 log" in result.output
    assert "Sequence[float]" in result.output  # a type's brackets are not eaten as markup
    both = runner.invoke(app, ["plugins", "show", "dcgan"])
    assert "(generator)" in both.output and "(discriminator)" in both.output
    assert "structural keywords passed by ganlab: nz" in both.output


def test_bad_input_is_one_line_and_exit_1() -> None:
    cases = [
        (["plugins", "show", "adamm"], "no plugin named 'adamm' in any kind. Did you mean: adam"),
        (["plugins", "list", "--kind", "filter"], "unknown plugin kind 'filter'"),
        (["plugins", "show", "adam", "--kind", "losses"], "unknown loss plugin 'adam'"),
    ]
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output.replace("\n", " ")
        assert "Traceback" not in result.output
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit
        )


def test_console_script_exits_1_without_traceback() -> None:
    done = subprocess.run([sys.executable, "-m", "ganlab", "plugins", "list", "-k", "nope"],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.startswith("error: unknown plugin kind 'nope'")
    assert "Traceback" not in done.stderr
