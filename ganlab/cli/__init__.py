"""The ``ganlab`` command line: ``plugins``, ``config``, ``data``, ``gan``, ``classify``,
``study``.

Heavy libraries (torch, timm, optuna) are imported inside commands so ``ganlab --help`` is fast.
"""

from __future__ import annotations

import typer

from ganlab import __version__
from ganlab.cli._app import make_app
from ganlab.cli._classify import app as classify_app
from ganlab.cli._config import app as config_app
from ganlab.cli._data import app as data_app
from ganlab.cli._gan import app as gan_app
from ganlab.cli._plugins import app as plugins_app
from ganlab.cli._study import app as study_app

app = make_app(
    "GAN synthesis for skin-lesion classification: plugins, studies, ablations, reports.",
    add_completion=True,  # --install-completion / --show-completion
)
app.add_typer(plugins_app, name="plugins")
app.add_typer(config_app, name="config")
app.add_typer(data_app, name="data")
app.add_typer(gan_app, name="gan")
app.add_typer(classify_app, name="classify")
app.add_typer(study_app, name="study")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ganlab {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """GAN synthesis for skin-lesion classification: plugins, studies, ablations, reports."""


def main() -> None:
    """Console-script entry point."""
    app()
