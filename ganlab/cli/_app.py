"""The root Typer app: error handling shared by every command.

A :class:`~ganlab.errors.GanlabError` raised anywhere below a command is printed as one red
line and the process exits with status 1, without a traceback; so is an ``OSError`` of a full
disk or a missing permission (with the path it was writing). Library errors name config paths
and arguments (``GanlabError.paths``), never flags: :data:`PATH_FLAGS` turns them into the
running command's options. (Typer >= 0.16 vendors click, so
exits are raised as ``typer.Exit``; ``click.exceptions.Exit`` would escape as a traceback.)
"""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from ganlab.errors import GanlabError
from ganlab.io import disk_fault

PROFILE_HELP = "Apply the \\[profiles.NAME] table of the study file first."

PATH_FLAGS: dict[str, str] = {
    "study.device": "--device",
    "study.storage": "--storage",
    "study.output": "--output",
    "jobs": "--jobs",
    "resume": "--no-resume",
    "out_dir": "--out",
    "label": "--label",
    "n": "-n",
    "generator_checkpoint": "--gan-checkpoint",
    "data.synth.n": "--n",
    "data.synth.difficulty": "--difficulty",
    "data.synth.image_size": "--image-size",
}
"""Config path or library argument (``GanlabError.paths``) -> the option that sets it."""

console = Console()
err_console = Console(stderr=True)


def _flags(command: Any) -> set[str]:
    params = getattr(command, "params", ())
    return {opt for p in params for opt in (*p.opts, *getattr(p, "secondary_opts", ()))}


def user_message(exc: GanlabError, command: Any = None) -> str:
    """``exc`` as the CLI shows it: paths the ``command`` has an option for name that option."""
    have = _flags(command)
    flags = [(p, PATH_FLAGS[p]) for p in exc.paths if PATH_FLAGS.get(p) in have]
    if not flags:
        return str(exc)
    if len(exc.paths) == 1:
        path, flag = flags[0]
        shown = f"{flag} ({path})" if "." in path else flag
        text = f"{shown}: {exc.message}"
        return f"{text}; {exc.hint}" if exc.hint else text
    return f"{exc} (options: {', '.join(f for _, f in flags)})"


class GanlabGroup(TyperGroup):
    """A Typer group that turns user errors into a message and exit status 1."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name, cmd, rest = super().resolve_command(ctx, args)
        ctx.meta["ganlab.command"] = cmd  # shared by the sub-contexts: the innermost wins
        return name, cmd, rest

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except GanlabError as exc:
            message = escape(user_message(exc, ctx.meta.get("ganlab.command")))
            err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except OSError as exc:
            line = disk_fault(exc)  # a full disk or a permission problem: one line, the path
            if line is None:
                raise
            err_console.print(f"[bold red]error:[/] {escape(line)}", highlight=False,
                              soft_wrap=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err_console.print("[yellow]interrupted[/]: completed work is saved; rerun to resume.")
            raise typer.Exit(130) from None


def make_app(help_text: str) -> typer.Typer:
    """A sub-app with ganlab's defaults (no completion options, no pretty tracebacks)."""
    return typer.Typer(
        cls=GanlabGroup,
        help=help_text,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode="rich",
    )
