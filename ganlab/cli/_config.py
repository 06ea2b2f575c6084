"""`ganlab config` commands: check a study file and print what it resolves to."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ganlab.cli._app import PROFILE_HELP, console, make_app
from ganlab.cli._modules import lazy
from ganlab.cli._options import SetOption, load_study

app = make_app("Check study files against the schema and the installed plugins.")


@app.command("check")
def check(
    study_file: Annotated[Path, typer.Argument(help="The study file (TOML).")],
    profile: Annotated[
        str | None, typer.Option("--profile", "-p", help=PROFILE_HELP)
    ] = None,
    sets: SetOption = None,
    show: Annotated[
        bool, typer.Option("--show", help="Also print the resolved configuration (TOML).")
    ] = False,
) -> None:
    """Validate a study file as `study run` does before any trial (schema, plugins, finite
    numbers, a safe study name, the images, the search space): one line; --show also prints
    the resolved configuration."""
    from rich.syntax import Syntax


    cfg = load_study(study_file, profile=profile, sets=sets)
    lazy.study.check_study(cfg)
    if show:
        text = lazy.config.config_to_toml(cfg)
        if console.is_terminal:
            console.print(Syntax(text, "toml", theme="ansi_dark", word_wrap=True))
        else:  # piped: plain TOML that loads back
            typer.echo(text)
    console.print(
        f"[green]ok[/]: {study_file} is valid"
        f"{f' with profile {profile}' if profile else ''} "
        f"({len(lazy.config.plugin_refs(cfg))} plugin references checked)",
        highlight=False,
        soft_wrap=True,
    )
