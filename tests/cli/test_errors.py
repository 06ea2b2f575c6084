"""Library errors carry config paths and hints; the CLI shows the running command's flags."""

from __future__ import annotations

import click
from typer.testing import CliRunner

from ganlab.cli import app
from ganlab.cli._app import PATH_FLAGS, user_message
from ganlab.errors import ConfigError, DataError


def _command(*flags: str) -> click.Command:
    return click.Command("x", params=[click.Option([f]) for f in flags])


def test_a_path_becomes_the_flag_of_the_running_command() -> None:
    err = ConfigError("'cuda' requested but no CUDA GPU is visible", path="study.device",
                      hint="use cpu or auto")
    assert str(err) == ("study.device: 'cuda' requested but no CUDA GPU is visible; "
                        "use cpu or auto")
    assert user_message(err, _command("--device")) == (
        "--device (study.device): 'cuda' requested but no CUDA GPU is visible; use cpu or auto")
    assert user_message(err, _command("--other")) == str(err)  # no such option: the path
    assert user_message(err, None) == str(err)


def test_several_paths_list_the_options_and_arguments_show_bare_flags() -> None:
    err = ConfigError("more than one worker needs a shared storage",
                      path=("jobs", "study.storage"))
    assert user_message(err, _command("--jobs", "--storage")).endswith(
        "(options: --jobs, --storage)")
    assert user_message(ConfigError("must be >= 1, got 0", path="jobs"),
                        _command("--jobs")) == "--jobs: must be >= 1, got 0"


def test_every_mapped_flag_exists_on_some_command() -> None:
    def flags(cmd: click.Command) -> set[str]:
        out = {o for p in cmd.params for o in (*p.opts, *getattr(p, "secondary_opts", ()))}
        for sub in getattr(cmd, "commands", {}).values():
            out |= flags(sub)
        return out

    import typer.main

    known = flags(typer.main.get_command(app))
    assert set(PATH_FLAGS.values()) <= known, set(PATH_FLAGS.values()) - known


def test_the_cli_names_its_own_flag(tmp_path) -> None:
    args = ["data", "synth", "--n", "4", "--image-size", "16", "--out", str(tmp_path / "s")]
    assert CliRunner().invoke(app, args).exit_code == 0
    result = CliRunner().invoke(app, args)  # the folder is taken now
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "--out: " in result.output and "already holds" in result.output


def test_errors_survive_pickling_with_path_and_hint() -> None:
    import pickle

    err = pickle.loads(pickle.dumps(DataError("x", path="out_dir", hint="pick another")))
    assert type(err) is DataError and str(err) == "out_dir: x; pick another"
