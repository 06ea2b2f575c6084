
"""Options shared by the commands that read a study file, and the one way they load it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ganlab.cli._modules import lazy

if TYPE_CHECKING:
    from ganlab.config import Config

SET_HELP = (
    "Override a config path after the file and the profile, with a TOML value "
    "(repeatable), e.g. --set classifier.epochs=25 "
    "--set 'classifier.model={name=\"timm\", model=\"resnet18\"}'."
)

SetOption = Annotated[
    list[str] | None, typer.Option("--set", metavar="PATH=VALUE", help=SET_HELP)
]
"""``--set PATH=VALUE``, repeatable; pass the list to :func:`load_study`."""


def load_study(
    study_file: Path,
    *,
    profile: str | None = None,
    sets: list[str] | None = None,
    extra: list[tuple[str, Any]] | None = None,
) -> Config:
    """The study file with its profile, then ``extra`` (a command's own options, such as
    ``gan train --epochs``), then the ``--set`` overrides, validated like the file."""
    overrides = [*(extra or []), *(lazy.config.parse_override(text) for text in sets or [])]
    return lazy.config.load_config(study_file, profile=profile, overrides=overrides)
