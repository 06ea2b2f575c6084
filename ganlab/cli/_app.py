"""The root Typer app: error handling shared by every command.

A :class:`~ganlab.errors.GanlabError` raised anywhere below a command is printed as one red
line and the process exits with status 1, without a traceback; so is an ``OSError`` of a full
disk or a missing permission (with the path it was writing). (Typer >= 0.16 vendors click, so
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

console = Console()
err_console = Console(stderr=True)


class GanlabGroup(TyperGroup):
    """A Typer group that turns user errors into a message and exit status 1."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except GanlabError as exc:
            message = escape(str(exc))
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
        help=help_text,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode="rich",
    )
